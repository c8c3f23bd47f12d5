"""scipy.optimize's contracts that adaopt.minimize keeps, case by case.

Where scipy's own suite (scipy/optimize/tests/test_optimize.py) has a test of
the contract, the case here mirrors it: test_equal_bounds and
test_all_bounds_equal, test_minimize_maxiter_noninteger,
test_x_overwritten_user_function.  References are scipy itself (L-BFGS-B,
approx_derivative) or the obvious exact answer.
"""

import math
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize
from scipy.optimize._numdiff import approx_derivative

import adaopt
from adaopt import status
from adaopt.finite_differences import FiniteDifferenceGradient

from test_compiled import assert_same, quad_fg

C = np.array([2.0, -3.0])
BOX = [(-1.0, 1.0), (-1.0, 1.0)]


def quad(x):
    return float(((x - C) ** 2).sum())


def quad_grad(x):
    return 2 * (x - C)


# -- 1. a solution on a bound reports success (projected gradient) ----------------

@pytest.mark.parametrize("jac", [quad_grad, "2-point", "3-point"])
def test_solution_on_a_bound_reaches_gtol(jac):
    res = adaopt.minimize(quad, np.zeros(2), jac=jac, bounds=BOX,
                          options=dict(lr=0.01))
    ref = optimize.minimize(quad, np.zeros(2), jac=quad_grad, bounds=BOX,
                            method="L-BFGS-B")
    assert res.status == status.GTOL and res.success
    assert_array_equal(res.x, [1.0, -1.0])
    assert_array_equal(res.x, ref.x)
    assert_allclose(res.jac, [-2.0, 4.0], rtol=1e-6)   # jac is the raw gradient
    assert res.nit < 200


def test_solution_on_a_bound_when_maximizing():
    # maximize flips the descent direction: the same box corner is the answer
    res = adaopt.minimize(lambda x: -quad(x), np.zeros(2), jac=lambda x: -quad_grad(x),
                          bounds=BOX, options=dict(lr=0.01, maximize=True))
    assert res.status == status.GTOL
    assert_array_equal(res.x, [1.0, -1.0])
    # maximizing quad itself ends in the opposite corner, where the raw
    # gradient (-6, 8) points out of the box only for the ascent direction
    res = adaopt.minimize(quad, np.zeros(2), jac=quad_grad, bounds=BOX,
                          options=dict(lr=0.01, maximize=True))
    assert res.status == status.GTOL
    assert_array_equal(res.x, [-1.0, 1.0])
    assert_array_equal(res.jac, [-6.0, 8.0])


def test_gradient_pointing_into_the_box_is_not_projected_away():
    # x0 on the lower bound with g < 0: the step goes inwards, gtol must not stop
    res = adaopt.minimize(quad, np.array([-1.0, 0.0]), jac=quad_grad, bounds=BOX,
                          options=dict(lr=0.01, maxiter=5))
    assert res.status == status.MAXITER and res.nit == 5


@pytest.mark.parametrize("jac", [quad_grad, True, None, "3-point", "cs"])
def test_all_bounds_equal_needs_no_iteration(jac):
    # scipy's test_all_bounds_equal: nothing can move, one evaluation suffices
    calls = []

    def fun(x):
        calls.append(x.copy())
        return (quad(x), quad_grad(x)) if jac is True else ((x - C) ** 2).sum()

    bounds = [(1.0, 1.0), (2.0, 2.0)]
    with pytest.warns(optimize.OptimizeWarning, match="Initial guess"):
        res = adaopt.minimize(fun, np.array([1.0, 3.0]), jac=jac, bounds=bounds)
    assert res.status == status.GTOL and res.success
    assert res.nit == 0 and res.nfev == 1 and len(calls) == 1
    assert_array_equal(res.x, [1.0, 2.0])
    assert_array_equal(calls[0], [1.0, 2.0])
    assert res.fun == quad(np.array([1.0, 2.0]))


@pytest.mark.parametrize("driver", ["python", "compiled"])
def test_both_drivers_stop_on_a_bound_alike(driver):
    # quad_fg: 0.5 sum d (x - c)^2 with c outside the box on two coordinates
    d, c = np.array([1.0, 10.0, 100.0]), np.array([2.0, -3.0, 0.25])
    bounds = [(-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0)]
    args = (d, c, np.inf)
    res = adaopt.minimize(quad_fg, np.zeros(3), args=args, jac=True, bounds=bounds,
                          options=dict(driver=driver, gtol=1e-6,
                                       lr_schedule=adaopt.schedules.cosine_decay(0.01, 3000),
                                       maxiter=3000))
    assert res.status == status.GTOL
    assert res.x[0] == 1.0 and res.x[1] == -1.0
    assert_allclose(res.x[2], 0.25, atol=1e-6)
    other = adaopt.minimize(quad_fg, np.zeros(3), args=args, jac=True, bounds=bounds,
                            options=dict(driver="python", gtol=1e-6,
                                         lr_schedule=adaopt.schedules.cosine_decay(0.01, 3000),
                                         maxiter=3000))
    assert_same(other, res)


@pytest.mark.parametrize("driver", ["python", "compiled"])
def test_both_drivers_all_bounds_equal(driver):
    d, c = np.array([1.0, 10.0, 100.0]), np.array([2.0, -3.0, 0.25])
    lb = np.array([0.5, -1.0, 0.0])
    res = adaopt.minimize(quad_fg, lb.copy(), args=(d, c, np.inf), jac=True,
                          bounds=optimize.Bounds(lb, lb), options=dict(driver=driver))
    assert res.status == status.GTOL and res.nit == 0 and res.nfev == 1
    assert_array_equal(res.x, lb)


# scipy's test_equal_bounds problem: rosen with two of four variables fixed
EB_LB = np.array([0, 2, -1, -1.0])
EB_UB = np.array([3, 2, 2, -1.0])
EB_FIXED = EB_LB == EB_UB
EB_X0 = np.random.default_rng(12223).random(4)


@pytest.mark.filterwarnings("ignore:Initial guess")
@pytest.mark.parametrize("jac", [optimize.rosen_der, None, "3-point"])
def test_equal_bounds_like_scipy(jac):
    seen = []

    def fun(x):
        seen.append(x.copy())
        return optimize.rosen(x)

    opts = dict(lr_schedule=adaopt.schedules.cosine_decay(0.02, 4000), maxiter=4000,
                gtol=1e-4)
    res = adaopt.minimize(fun, EB_X0, jac=jac, bounds=optimize.Bounds(EB_LB, EB_UB),
                          options=opts)
    ref = optimize.minimize(optimize.rosen, EB_X0, jac=optimize.rosen_der,
                            bounds=optimize.Bounds(EB_LB, EB_UB), method="L-BFGS-B")
    # the fixed variables are never moved, not even by a finite-difference step
    for x in seen:
        assert_array_equal(x[EB_FIXED], EB_LB[EB_FIXED])
        assert np.all(x >= EB_LB) and np.all(x <= EB_UB)
    assert res.success and res.status == status.GTOL
    assert_allclose(res.x, ref.x, rtol=5e-4, atol=1e-4)
    assert_allclose(res.fun, ref.fun, rtol=5e-4)
    # the evaluations counted are the calls made; FD steps only the 2 free ones
    assert res.nfev == len(seen)
    per_iteration = {optimize.rosen_der: 1, None: 3, "3-point": 5}[jac]
    assert res.nfev == per_iteration * (res.nit + 1)


# -- 2. finite differences stay in the box ----------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("x, lb, ub", [
    ([0.0, 1.0], [0.0, 0.0], [0.0, 2.0]),          # a fixed variable at 0
    ([5e-9, 1.0], [0.0, 1.0], [1e-8, 1.0 + 1e-9]),   # boxes narrower than the step
    ([1.0, 0.0], [0.0, 0.0], [1.0, np.inf]),         # on a bound: one-sided
    ([0.5, 0.5], [0.0, 0.0], [1.0, 1.0]),            # inside: the plain scheme
])
def test_fd_steps_stay_in_the_box_as_approx_derivative(method, x, lb, ub):
    x, lb, ub = (np.array(a, dtype=float) for a in (x, lb, ub))
    seen = []

    def fun(z):
        seen.append(z.copy())
        return float(np.sum(np.sqrt(z)) + z @ z)

    fd = FiniteDifferenceGradient(fun, method, lb, ub, ())
    f, g = fd(x)
    points = list(seen)       # the calls of fd only
    for z in points:
        assert np.all(z >= lb) and np.all(z <= ub), z
    assert f == fun(x)
    free = lb != ub
    ref = approx_derivative(fun, x, method=method, bounds=(lb, ub))
    assert_allclose(g[free], ref[free], rtol=1e-12)
    assert_array_equal(g[~free], 0.0)                 # fixed: 0, never evaluated
    per_free = 1 if method == "2-point" else 2
    assert fd.calls == len(points) == 1 + per_free * np.count_nonzero(free)


def test_sqrt_objective_with_a_fixed_variable_at_zero():
    # f(x) = sqrt(x0) + (x1 - 2)^2 with x0 fixed at 0: a step to -1.5e-8 gave NaN
    def fun(x):
        return math.sqrt(x[0]) + (x[1] - 2.0) ** 2

    res = adaopt.minimize(fun, np.array([0.0, 0.0]), bounds=[(0.0, 0.0), (None, None)],
                          options=dict(lr_schedule=adaopt.schedules.cosine_decay(0.05, 2000),
                                       maxiter=2000, gtol=1e-5))
    assert res.status == status.GTOL, res.message
    assert res.x[0] == 0.0
    assert_allclose(res.x[1], 2.0, atol=1e-5)


# -- 3. and 6. the value of fun ---------------------------------------------------

@pytest.mark.parametrize("jac", [None, "3-point", "cs", quad_grad])
def test_one_element_array_objective(jac):
    def fun(x):
        return np.array([((x - C) ** 2).sum()])

    res = adaopt.minimize(fun, np.zeros(2), jac=jac, options=dict(lr=0.01, maxiter=50))
    ref = adaopt.minimize(lambda x: ((x - C) ** 2).sum(), np.zeros(2), jac=jac,
                          options=dict(lr=0.01, maxiter=50))
    assert isinstance(res.fun, float)
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun and res.nfev == ref.nfev


@pytest.mark.parametrize("jac", [None, "3-point", quad_grad])
def test_two_element_objective_is_a_value_error(jac):
    with pytest.raises(ValueError, match="real scalar"):
        adaopt.minimize(lambda x: np.array([1.0, 2.0]), np.zeros(2), jac=jac)


@pytest.mark.parametrize("bad", ["1.5", 1.5 + 0j, np.array([1.0, 2.0]), None, b"1"])
@pytest.mark.parametrize("jac", [quad_grad, True, None])
@pytest.mark.parametrize("call", [1, 4])
def test_wrong_kind_of_value_raises_at_every_call(bad, jac, call):
    count = [0]

    def fun(x):
        count[0] += 1
        f = bad if count[0] == call else quad(x)
        return (f, quad_grad(x)) if jac is True else f

    with pytest.raises(ValueError, match="real scalar"):
        adaopt.minimize(fun, np.zeros(2), jac=jac, options=dict(maxiter=20))


# -- 4. maxiter and maxfev take what scipy takes ----------------------------------

@pytest.mark.parametrize("maxiter, nit", [(1e4, 1e4), (100.1, 101), (np.float64(7.0), 7),
                                           (np.int32(7), 7), (2.9, 3)])
def test_maxiter_noninteger(maxiter, nit):
    # scipy's test_minimize_maxiter_noninteger; 100.1 stops at the first nit
    # >= maxiter, as scipy's BFGS and L-BFGS-B do
    x0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])
    res = adaopt.minimize(optimize.rosen, x0, jac=optimize.rosen_der,
                          options=dict(maxiter=maxiter, lr=1e-5, gtol=0.0))
    assert res.status == status.MAXITER and res.nit == nit
    if maxiter == 2.9:
        bfgs = optimize.minimize(optimize.rosen, x0, method="BFGS",
                                 options=dict(maxiter=maxiter))
        assert bfgs.nit == res.nit


def test_maxfev_noninteger_never_exceeded():
    res = adaopt.minimize(quad, np.zeros(2), options=dict(maxfev=10.9, gtol=0.0))
    assert res.status == status.MAXFEV and res.nfev == 9     # 3 calls per iteration
    res = adaopt.minimize(quad, np.zeros(2), jac=quad_grad,
                          options=dict(maxfev=math.inf, maxiter=5))
    assert res.status == status.MAXITER


@pytest.mark.parametrize("name", ["maxiter", "maxfev"])
@pytest.mark.parametrize("value, error", [(10 ** 400, ValueError), (math.nan, ValueError),
                                          ("10", TypeError), (True, TypeError)],
                         ids=["10**400", "nan", "str", "bool"])
def test_bad_limits_are_clear_errors(name, value, error):
    calls = []
    with pytest.raises(error, match=name):
        adaopt.minimize(lambda x: calls.append(1) or 0.0, np.zeros(2), jac=quad_grad,
                        options={name: value})
    assert calls == []


def test_huge_but_finite_limits_mean_no_limit():
    res = adaopt.minimize(quad, np.zeros(2), jac=quad_grad,
                          options=dict(maxiter=10 ** 300, maxfev=10 ** 300, lr=0.05))
    assert res.status == status.GTOL


# -- 5. fun and jac may modify the x they get ---------------------------------------

def fquad(x):
    a = np.arange(np.size(x))
    x -= a
    x *= x
    return np.sum(x)


def fquad_jac(x):
    a = np.arange(np.size(x))
    x *= 2
    x -= 2 * a
    return x


def fquad_fg(x):
    return fquad(x.copy()), fquad_jac(x)


@pytest.mark.parametrize("jac", [fquad_jac, True, None, "3-point"])
def test_x_overwritten_user_function(jac):
    # scipy's test_x_overwritten_user_function
    fun = fquad_fg if jac is True else fquad
    kept = []

    def callback(intermediate_result):
        kept.append(intermediate_result.x.copy())
        intermediate_result.x[:] = 99.0          # the callback's x is its own too

    opts = dict(lr_schedule=adaopt.schedules.cosine_decay(0.05, 3000), maxiter=3000)
    x0 = np.ones(5) * 1.5
    res = adaopt.minimize(fun, x0, jac=jac, callback=callback, options=opts)
    assert_allclose(res.x, np.arange(5), atol=2e-4)
    assert_array_equal(x0, 1.5)
    # the same run as with an objective that leaves x alone
    if jac is True:
        clean_fun, clean_jac = (lambda x: fquad_fg(x.copy())), True
    else:
        clean_fun = lambda x: fquad(x.copy())     # noqa: E731
        clean_jac = (lambda x: fquad_jac(x.copy())) if callable(jac) else jac
    clean = adaopt.minimize(clean_fun, x0, jac=clean_jac, options=opts)
    assert_array_equal(res.x, clean.x)
    assert res.nit == clean.nit == len(kept)


def test_objective_may_keep_its_x():
    kept = []

    def f(x):
        kept.append(x)
        return quad(x)

    res = adaopt.minimize(f, np.zeros(2), jac=quad_grad, options=dict(lr=0.1, maxiter=3))
    assert res.nit == 3 and len(kept) == 4
    assert_array_equal(kept[0], [0.0, 0.0])        # not overwritten by later iterates
    assert_array_equal(kept[-1], res.x)
    assert len({id(x) for x in kept}) == 4


@numba.njit(cache=True)
def _quad_fg_scribbling(x, d, c, wall):
    """quad_fg, then overwrite the x it was given (allowed: x is its own)."""
    f, g = quad_fg(x, d, c, wall)
    x[:] = 1e6
    return f, g


def test_jitted_objective_may_overwrite_its_x():
    """On the compiled paths too the objective gets an array of its own:
    a jitted objective writing into x runs exactly the clean run.  (The
    compiled driver, multistart and rmsprop_njit all run one loop,
    adaopt._compiled_loop.iterate, which refills it; a user's njit function
    calling rmsprop_njit costs ~20 s to compile, so it is not repeated
    here.)"""
    args = (np.array([1.0, 3.0]), np.array([0.5, -1.0]), np.inf)
    x0 = np.array([2.0, 2.0])
    opts = dict(lr=0.05, maxiter=200)
    clean = adaopt.minimize(quad_fg, x0, args=args, jac=True,
                            options=dict(opts, driver="python"))
    for drv in ("python", "compiled"):
        res = adaopt.minimize(_quad_fg_scribbling, x0, args=args, jac=True,
                              options=dict(opts, driver=drv))
        assert_same(clean, res)
    assert_array_equal(x0, 2.0)
    assert np.abs(clean.x - args[1]).max() < 0.05


# -- 7. read-only params, masked arrays, NUMBA_DISABLE_JIT --------------------------

def test_params_made_read_only_after_construction():
    p = np.ones(3)
    opt = adaopt.RMSprop(p, lr=0.1)
    opt.step(np.ones(3))
    before = p.copy(), opt.state_dict()
    p.flags.writeable = False
    with pytest.raises(ValueError, match="params.*read-only"):
        opt.step(np.ones(3))
    assert_array_equal(p, before[0])
    assert opt.step_count == 1
    assert_array_equal(opt.state["square_avg"], before[1]["square_avg"])


def test_masked_arrays():
    masked = np.ma.array([1.0, 2.0], mask=[False, True])
    with pytest.raises(TypeError, match="params"):
        adaopt.RMSprop(np.ma.array([1.0, 2.0]), lr=0.1)
    opt = adaopt.RMSprop(np.ones(2), lr=0.1)
    with pytest.raises(TypeError, match="grad"):
        opt.step(np.ma.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="x0"):
        adaopt.minimize(quad, masked, jac=quad_grad)
    # multistart's starts too (regression: the mask was dropped, the run
    # started from the hidden value)
    with pytest.raises(TypeError, match="x0s must not be a masked array"):
        adaopt.multistart(quad, np.ma.array([masked.data], mask=[masked.mask]),
                          jac=quad_grad)
    many = adaopt.multistart(quad, np.ma.array([[0.0, 0.0]]), jac=quad_grad,
                             options=dict(maxiter=5))
    # nothing masked: x0's values, as scipy takes them
    res = adaopt.minimize(quad, np.ma.array([0.0, 0.0]), jac=quad_grad,
                          options=dict(maxiter=5))
    ref = adaopt.minimize(quad, np.zeros(2), jac=quad_grad, options=dict(maxiter=5))
    assert type(res.x) is np.ndarray
    assert_array_equal(res.x, ref.x)
    assert_array_equal(many.xs[0], ref.x)
    count = [0]

    def jac(x):
        count[0] += 1
        return np.ma.array(quad_grad(x), mask=[False, count[0] == 3])

    with pytest.raises(TypeError, match="masked"):
        adaopt.minimize(quad, np.zeros(2), jac=jac, options=dict(maxiter=5))


def test_numba_disable_jit_runs_minimize():
    from reliability_tools import child_env
    code = textwrap.dedent("""
        import numpy as np, adaopt
        res = adaopt.minimize(lambda x: (x**2).sum(), np.ones(3), jac=lambda x: 2*x,
                              options=dict(maxiter=50))
        print(repr(res.x.tolist()), res.nit, res.status)
        res = adaopt.minimize(lambda x: (x**2).sum(), np.ones(2, np.float32),
                              jac=lambda x: [2.0 * float(x[0]), 2.0 * float(x[1])],
                              options=dict(maxiter=5))
        print(res.x.dtype, res.nit)
        import numba
        @numba.njit
        def fit(x0):
            return adaopt.rmsprop_njit(lambda x: ((x * x).sum(), 2 * x), x0).x
        try:
            fit(np.ones(2))
        except RuntimeError as err:
            print(err)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=child_env(NUMBA_DISABLE_JIT="1"), timeout=300)
    assert out.returncode == 0, out.stderr
    ref = adaopt.minimize(lambda x: (x ** 2).sum(), np.ones(3), jac=lambda x: 2 * x,
                          options=dict(maxiter=50))
    lines = out.stdout.splitlines()
    assert lines[0] == f"{ref.x.tolist()!r} {ref.nit} {ref.status}"
    assert lines[1] == "float32 5"
    # rmsprop_njit cannot run as Python: a clear error, not an AttributeError
    assert lines[2] == ("adaopt.rmsprop_njit needs Numba's JIT, and NUMBA_DISABLE_JIT=1 "
                        "is set; adaopt.minimize runs without it")
