"""Point 9 of issue 3: adaopt.rmsprop as a custom method of scipy.optimize.minimize."""

import warnings

import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose, assert_array_equal

import adaopt
from adaopt import status
from adaopt.problems import Rosenbrock

P = Rosenbrock()
OPTS = dict(lr=0.01, maxiter=40)


def test_same_result_as_adaopt_minimize():
    res = scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, method=adaopt.rmsprop,
                                  options=OPTS)
    ref = adaopt.minimize(P.fun, P.x0, jac=P.jac, options=OPTS)
    for key in ("x", "jac"):
        assert_array_equal(res[key], ref[key])
    for key in ("fun", "nit", "nfev", "njev", "status", "success", "message"):
        assert res[key] == ref[key]


def test_jac_none_and_fd_strings_use_own_finite_differences():
    ref = adaopt.minimize(P.fun, P.x0, jac=P.jac, options=OPTS)
    for jac in (None, "2-point", "3-point", "cs"):
        # scipy passes jac=None to a custom method for all of these
        res = scipy.optimize.minimize(P.fun, P.x0, jac=jac, method=adaopt.rmsprop,
                                      options=OPTS)
        assert res.nfev == 41 * 3 and res.njev == 0
        assert_allclose(res.x, ref.x, rtol=1e-6)


def test_jac_true():
    res = scipy.optimize.minimize(P.fun_and_jac, P.x0, jac=True, method=adaopt.rmsprop,
                                  options=OPTS)
    ref = adaopt.minimize(P.fun, P.x0, jac=P.jac, options=OPTS)
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun


def test_tol_reaches_gtol():
    res = scipy.optimize.minimize(lambda x: x @ x, [1.0, -1.0], jac=lambda x: 2 * x,
                                  method=adaopt.rmsprop, tol=1e-3,
                                  options=dict(lr=0.05, maxiter=5000))
    assert res.status == status.GTOL and res.success
    assert np.abs(res.jac).max() <= 1e-3


def test_unknown_option_warns():
    with pytest.warns(scipy.optimize.OptimizeWarning, match="bogus"):
        scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, method=adaopt.rmsprop,
                                options=dict(OPTS, bogus=1))


@pytest.mark.parametrize("style", ["new", "legacy"])
def test_raw_callback_and_stop_iteration(style):
    seen = []
    if style == "new":
        def cb(intermediate_result):
            seen.append(intermediate_result.fun)
            if len(seen) == 7:
                raise StopIteration
    else:
        def cb(xk):
            seen.append(P.fun(xk))
            if len(seen) == 7:
                raise StopIteration
    res = scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, method=adaopt.rmsprop,
                                  callback=cb, options=dict(OPTS, maxiter=100))
    ref = adaopt.minimize(P.fun, P.x0, jac=P.jac, options=dict(OPTS, maxiter=7))
    assert res.status == 99 and not res.success
    assert res.message == "`callback` raised `StopIteration`."
    assert_array_equal(res.x, ref.x)
    assert res.nit == 7 and seen[-1] == res.fun == ref.fun


def test_bounds_in_both_forms():
    for bounds in ([(0.5, 2.0), (None, None)],
                   scipy.optimize.Bounds([0.5, -np.inf], [2.0, np.inf])):
        res = scipy.optimize.minimize(lambda x: x @ x, [1.5, 1.0], jac=lambda x: 2 * x,
                                      method=adaopt.rmsprop, bounds=bounds,
                                      options=dict(lr=0.05, maxiter=200))
        assert res.x[0] == 0.5 and abs(res.x[1]) < 0.1


def test_hess_and_constraints_warn():
    with pytest.warns(RuntimeWarning, match="Hessian"):
        scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, hess=lambda x: np.eye(2),
                                method=adaopt.rmsprop, options=OPTS)
    with pytest.warns(RuntimeWarning, match="constraints"):
        scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, method=adaopt.rmsprop,
                                constraints={"type": "ineq", "fun": lambda x: x[0]},
                                options=OPTS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scipy.optimize.minimize(P.fun, P.x0, jac=P.jac, method=adaopt.rmsprop,
                                options=OPTS)


def test_basinhopping():
    # two wells, f = (x^2 - 1)^2 + 0.3 x: the global minimum is the left one
    def f(x):
        return float((x[0] ** 2 - 1) ** 2 + 0.3 * x[0])

    def g(x):
        return np.array([4 * x[0] * (x[0] ** 2 - 1) + 0.3])

    res = scipy.optimize.basinhopping(
        f, [1.0], niter=15, seed=1, stepsize=1.5,
        minimizer_kwargs=dict(method=adaopt.rmsprop, jac=g, options=dict(gtol=1e-6)))
    best = scipy.optimize.minimize_scalar(lambda t: f([t]), bounds=(-2, 0),
                                          method="bounded",
                                          options=dict(xatol=1e-10))
    assert res.x[0] == pytest.approx(best.x, abs=1e-4)
    assert res.fun == pytest.approx(best.fun, abs=1e-8)
    # the default policy ends every local run at gtol
    assert res.minimization_failures == 0
