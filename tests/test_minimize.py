"""adaopt.minimize against scipy.optimize.minimize's documented contract (issue 3).

Points 1-5 and 8 of the issue; failures and interrupts (7) are in
test_minimize_failures.py, stochastic objectives (6) in
test_minimize_stochastic.py.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import Bounds, OptimizeResult, OptimizeWarning

import adaopt
from adaopt import status
from adaopt._problem import METHODS, no_policy_options
from adaopt.problems import IllConditionedQuadratic, Rosenbrock
from adaopt.schedules import cosine_decay

#: minimize without its default policy: the optimizer object's run
#: (a constant rate, PyTorch's momentum=0), which the references follow
NO_POLICY = no_policy_options(METHODS["rmsprop"])

QUAD = IllConditionedQuadratic(n=10, cond=1e4)


def sphere(x):
    return float(x @ x)


def sphere_grad(x):
    return 2.0 * x


def numpy_rmsprop(grad, x0, steps, lr, rho=0.9, eps=1e-8, lo=None, hi=None):
    """Section 2 of DESIGN.md (plain flavour), written out in NumPy, plus projection."""
    x = np.array(x0, dtype=np.float64)
    v = np.zeros_like(x)
    for _ in range(steps):
        g = grad(x)
        v = rho * v + (1 - rho) * g ** 2
        x = x - lr * g / (np.sqrt(v) + eps)
        if lo is not None:
            x = np.clip(x, lo, hi)
    return x


# -- 1. the result and the options -------------------------------------------

def test_result_fields_and_fun_at_x():
    res = adaopt.minimize(QUAD.fun, QUAD.x0, jac=QUAD.jac,
                          options=dict(lr=0.01, maxiter=50, lr_schedule=None))
    assert isinstance(res, OptimizeResult)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"):
        assert key in res
    assert res.fun == QUAD.fun(res.x)
    assert_array_equal(res.jac, QUAD.jac(res.x))
    assert (res.nit, res.nfev, res.njev) == (50, 51, 51)
    assert res.status == status.MAXITER and not res.success
    assert res.message == status.MESSAGES[status.MAXITER]


def test_iterates_follow_the_numpy_reference():
    x0 = np.array([3.0, -1.0, 0.5])
    res = adaopt.minimize(sphere, x0, jac=sphere_grad,
                          options=dict(lr=0.05, rho=0.8, maxiter=40, gtol=0,
                                       **NO_POLICY))     # the reference's constant rate
    assert_allclose(res.x, numpy_rmsprop(sphere_grad, x0, 40, lr=0.05, rho=0.8),
                    rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hyper", [
    dict(lr=0.02, centered=True, momentum=0.5, bias_correction=True),
    dict(lr_schedule=cosine_decay(0.05, 30), clip_norm=1.0, weight_decay=0.1,
         decoupled_weight_decay=True, eps_in_sqrt=True),
])
def test_iterates_equal_the_rmsprop_object(hyper):
    # minimize must take exactly the steps adaopt.RMSprop takes
    p = Rosenbrock()
    # the object's rate: its schedule, else its constant lr
    res = adaopt.minimize(p.fun, p.x0, jac=p.jac,
                          options=dict(NO_POLICY, **hyper, maxiter=30))
    x = p.x0.copy()
    opt = adaopt.RMSprop(x, **hyper)
    for _ in range(30):
        opt.step(p.jac(x))
    assert_array_equal(res.x, x)
    assert res.fun == p.fun(x)


def test_maximize_option_ascends():
    # maximizing -|x|^2 takes the very steps of minimizing |x|^2
    res = adaopt.minimize(lambda x: -sphere(x), [1.0, 2.0], jac=lambda x: -2 * x,
                          options=dict(lr=0.05, maximize=True, maxiter=20,
                                       **NO_POLICY))
    ref = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=20, **NO_POLICY))
    assert_array_equal(res.x, ref.x)
    assert res.fun == -ref.fun < -0.1


def test_rosenbrock_reaches_its_minimum():
    # documented hyperparameters: cosine decay from lr=0.01 over 20000 steps
    p = Rosenbrock()
    res = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(
        lr_schedule=cosine_decay(0.01, 20000), maxiter=20000))
    assert res.success and res.status == status.GTOL
    assert np.abs(res.x - p.x_min).max() < 1e-4
    assert res.fun < 1e-9
    assert np.abs(res.jac).max() <= 1e-5


def test_ill_conditioned_quadratic_reaches_its_minimum():
    # documented hyperparameters: cosine decay from lr=0.1 over 1000 steps,
    # without minimize's default momentum (its rate is the schedule's)
    res = adaopt.minimize(QUAD.fun, QUAD.x0, jac=QUAD.jac, options=dict(
        lr_schedule=cosine_decay(0.1, 1000), maxiter=1000, momentum=0.0))
    assert res.success
    assert np.abs(res.x - QUAD.x_min).max() < 1e-5
    assert res.fun < 1e-10


def test_gtol_and_tol():
    res = adaopt.minimize(sphere, [1.0, -1.0], jac=sphere_grad, tol=1e-3,
                          options=dict(lr=0.05, maxiter=5000))
    assert res.status == status.GTOL and res.success
    assert np.abs(res.jac).max() <= 1e-3
    # options win over tol, as in scipy
    res2 = adaopt.minimize(sphere, [1.0, -1.0], jac=sphere_grad, tol=1e-3,
                           options=dict(lr=0.05, maxiter=5000, gtol=1e-6))
    assert np.abs(res2.jac).max() <= 1e-6 < np.abs(res.jac).max()
    assert res2.nit > res.nit


def test_ftol_stops_on_small_relative_change_of_f():
    seen = []
    res = adaopt.minimize(sphere, [1.0, -1.0], jac=sphere_grad,
                          callback=lambda intermediate_result: seen.append(
                              intermediate_result.fun),
                          options=dict(lr_schedule=cosine_decay(0.05, 300), maxiter=300,
                                       gtol=0, ftol=1e-6))
    assert res.status == status.FTOL and res.success
    f_prev, f_last = seen[-2], seen[-1]
    assert abs(f_prev - f_last) <= 1e-6 * max(abs(f_prev), abs(f_last), 1)
    assert f_last == res.fun
    assert all(abs(a - b) > 1e-6 * max(abs(a), abs(b), 1)
               for a, b in zip(seen[:-2], seen[1:-1]))


def test_xtol_stops_on_a_small_step():
    xs = []
    res = adaopt.minimize(sphere, [1.0, -1.0], jac=sphere_grad,
                          callback=lambda xk: xs.append(xk),
                          options=dict(lr_schedule=cosine_decay(0.05, 300), maxiter=300,
                                       gtol=0, xtol=1e-5))
    assert res.status == status.XTOL and res.success
    assert np.abs(xs[-1] - xs[-2]).max() <= 1e-5
    assert np.abs(np.diff(xs[:-1], axis=0)).max(axis=1).min() > 1e-5


def test_maxfev():
    res = adaopt.minimize(sphere, [1.0, -1.0], jac=sphere_grad,
                          options=dict(lr=0.01, maxfev=25))
    assert res.status == status.MAXFEV and res.nfev == 25 and res.nit == 24
    # finite differences: 3 calls per evaluation, never past maxfev
    res = adaopt.minimize(sphere, [1.0, -1.0], options=dict(lr=0.01, maxfev=25))
    assert res.status == status.MAXFEV and res.nfev == 24 and res.nit == 7


def test_unknown_method_lists_the_choices():
    with pytest.raises(ValueError, match="'rmsprop'.*'BFGS'"):
        adaopt.minimize(sphere, [1.0], method="BFGS")
    res = adaopt.minimize(sphere, [1.0], jac=sphere_grad, method="RMSprop",
                          options=dict(maxiter=3))
    assert res.nit == 3


def test_unknown_option_warns_naming_it():
    with pytest.warns(OptimizeWarning, match="lr_decay"):
        res = adaopt.minimize(sphere, [1.0], jac=sphere_grad,
                              options=dict(maxiter=2, lr_decay=0.5))
    assert res.nit == 2


@pytest.mark.parametrize("options, error, match", [
    (dict(lr=-1.0), ValueError, "lr"),
    (dict(rho=1.5), ValueError, "rho"),
    (dict(maxiter="2"), TypeError, "maxiter"),
    (dict(maxiter=-1), ValueError, "maxiter"),
    (dict(maxfev=0), ValueError, "maxfev"),
    (dict(gtol=-1e-3), ValueError, "gtol"),
    (dict(nesterov=True, momentum=0.0), ValueError, "nesterov"),
    (dict(driver="gpu"), ValueError, "driver"),
    (dict(progress=-5), ValueError, "progress"),
])
def test_bad_options_raise_naming_them(options, error, match):
    calls = []
    with pytest.raises(error, match=match):
        adaopt.minimize(lambda x: calls.append(1) or 0.0, [1.0], jac=sphere_grad,
                        options=options)
    assert calls == []    # raised before anything ran


# -- 2. x0 and args ----------------------------------------------------------------

def test_x0_like_scipy():
    res = adaopt.minimize(sphere, [3, 4], jac=sphere_grad, options=dict(maxiter=2))
    assert res.x.dtype == np.float64
    res = adaopt.minimize(sphere, 3.0, jac=sphere_grad, options=dict(maxiter=2))
    assert res.x.shape == (1,)
    x0 = np.array([3.0, 4.0])
    res = adaopt.minimize(sphere, x0, jac=sphere_grad, options=dict(lr=0.5, maxiter=5))
    assert_array_equal(x0, [3.0, 4.0])             # never modified
    assert not np.shares_memory(res.x, x0)


def test_float32_stays_float32():
    x0 = np.array([3.0, 4.0], dtype=np.float32)
    # a float64 gradient is converted, not an error
    res = adaopt.minimize(sphere, x0, jac=lambda x: np.asarray(2 * x, np.float64),
                          options=dict(lr=0.1, maxiter=10, **NO_POLICY))
    assert res.x.dtype == np.float32 and res.jac.dtype == np.float32
    x = x0.copy()
    opt = adaopt.RMSprop(x, lr=0.1)
    for _ in range(10):
        opt.step(2 * x)
    assert_array_equal(res.x, x)


@pytest.mark.parametrize("x0, error", [
    (np.ones((2, 2)), ValueError),
    ([1.0, np.nan], ValueError),
    ([1.0, np.inf], ValueError),
    ([], ValueError),
    (np.array([1 + 1j]), TypeError),
])
def test_bad_x0(x0, error):
    with pytest.raises(error, match="x0"):
        adaopt.minimize(sphere, x0, jac=sphere_grad)


def test_args_are_passed_and_wrapped():
    def f(x, c, *rest):
        assert rest == ()
        return float((x - c) @ (x - c))

    def g(x, c):
        return 2 * (x - c)

    res = adaopt.minimize(f, [0.0, 0.0], args=3.0, jac=g,
                          options=dict(lr_schedule=cosine_decay(0.1, 500), maxiter=500))
    assert_allclose(res.x, [3.0, 3.0], atol=1e-4)
    res2 = adaopt.minimize(f, [0.0, 0.0], args=(3.0,), jac=g,
                           options=dict(lr_schedule=cosine_decay(0.1, 500), maxiter=500))
    assert_array_equal(res.x, res2.x)


def test_objective_may_write_into_x():
    # fun gets its own copy of x (scipy's contract): writing into it changes nothing
    def f(x):
        value = sphere(x)
        x[0] = 0.0
        return value
    res = adaopt.minimize(f, [1.0], jac=sphere_grad, options=dict(maxiter=3))
    ref = adaopt.minimize(sphere, [1.0], jac=sphere_grad, options=dict(maxiter=3))
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun


# -- 3. jac -------------------------------------------------------------------------

def test_jac_true_one_call_per_iteration():
    p = Rosenbrock()
    calls = []

    def fg(x):
        calls.append(1)
        return p.fun(x), p.jac(x)

    res = adaopt.minimize(fg, p.x0, jac=True, options=dict(lr=1e-3, maxiter=30))
    ref = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(lr=1e-3, maxiter=30))
    assert_array_equal(res.x, ref.x)
    assert len(calls) == res.nfev == res.njev == 31


@pytest.mark.parametrize("jac, per_eval", [(None, 3), (False, 3), ("2-point", 3),
                                           ("3-point", 5), ("cs", 3)])
def test_finite_differences_counted_in_nfev(jac, per_eval):
    p = Rosenbrock()
    calls = []

    def f(x):
        calls.append(1)
        a, b = x[0], x[1]
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2   # also takes complex x

    res = adaopt.minimize(f, p.x0, jac=jac, options=dict(lr=1e-3, maxiter=20))
    ref = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(lr=1e-3, maxiter=20))
    assert res.nfev == len(calls) == 21 * per_eval
    assert res.njev == 0
    assert_allclose(res.x, ref.x, rtol=1e-6)
    assert_allclose(res.jac, p.jac(res.x), rtol=1e-5 if jac != "cs" else 1e-12)


def test_finite_differences_stay_inside_bounds():
    seen = []

    def f(x):
        seen.append(x.copy())
        return float(np.sum((x - 2.0) ** 2))

    for method in ("2-point", "3-point"):
        seen.clear()
        res = adaopt.minimize(f, [1.0, 0.5], jac=method, bounds=[(0, 1), (0, 1)],
                              options=dict(lr=0.05, maxiter=40))
        pts = np.array(seen)
        assert pts.min() >= 0.0 and pts.max() <= 1.0
        assert_allclose(res.x, [1.0, 1.0])
        assert_allclose(res.jac, [-2.0, -2.0], rtol=1e-6)


def test_unknown_jac_string():
    with pytest.raises(ValueError, match="jac"):
        adaopt.minimize(sphere, [1.0], jac="5-point")


@pytest.mark.parametrize("bad, error, match", [
    (lambda x: np.ones(3), ValueError, r"shape \(2,\)"),
    (lambda x: "gradient", TypeError, "real array"),
    (lambda x: np.array([1 + 1j, 0]), TypeError, "real array"),
])
def test_jac_of_the_wrong_shape_or_type(bad, error, match):
    with pytest.raises(error, match=match):
        adaopt.minimize(sphere, [1.0, 2.0], jac=bad)


def test_jac_changing_shape_later_is_caught():
    calls = []

    def g(x):
        calls.append(1)
        return 2 * x if len(calls) < 5 else np.ones(7)

    with pytest.raises(ValueError, match="shape"):
        adaopt.minimize(sphere, [1.0, 2.0], jac=g)


def test_jac_returning_x_itself():
    # gradient of 0.5 |x|^2 is x: the very array minimize passed in
    res = adaopt.minimize(lambda x: 0.5 * float(x @ x), [1.0, 2.0], jac=lambda x: x,
                          options=dict(lr=0.05, maxiter=30))
    ref = adaopt.minimize(lambda x: 0.5 * float(x @ x), [1.0, 2.0],
                          jac=lambda x: x.copy(), options=dict(lr=0.05, maxiter=30))
    assert_array_equal(res.x, ref.x)
    assert_array_equal(res.jac, res.x)


def test_objective_returning_a_one_element_array():
    res = adaopt.minimize(lambda x: np.array([x @ x]), [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=30))
    assert isinstance(res.fun, float) and res.fun == sphere(res.x)
    with pytest.raises(ValueError, match="scalar"):
        adaopt.minimize(lambda x: x, [1.0, 2.0], jac=sphere_grad)


# -- 4. bounds ----------------------------------------------------------------------

@pytest.mark.parametrize("bounds", [Bounds([0.5, -np.inf], [2.0, np.inf]),
                                    [(0.5, 2.0), (None, None)]])
def test_bounds_project_every_iterate(bounds):
    xs = []
    res = adaopt.minimize(sphere, [1.5, 1.0], jac=sphere_grad, bounds=bounds,
                          callback=lambda xk: xs.append(xk),
                          options=dict(lr=0.05, maxiter=200, gtol=0.0, **NO_POLICY))
    xs = np.array(xs)
    assert xs[:, 0].min() >= 0.5 and xs[:, 0].max() <= 2.0
    assert res.x[0] == 0.5 and abs(res.x[1]) < 0.1
    assert res.nit == 200
    ref = numpy_rmsprop(sphere_grad, [1.5, 1.0], 200, lr=0.05,
                        lo=[0.5, -np.inf], hi=[2.0, np.inf])
    assert_allclose(res.x, ref, rtol=1e-12, atol=1e-14)


def test_bounds_errors_and_clipped_x0():
    with pytest.raises(ValueError, match="lower bound > upper bound"):
        adaopt.minimize(sphere, [1.0, 1.0], jac=sphere_grad, bounds=[(0, 1), (2, 1)])
    with pytest.raises(ValueError, match="pair"):
        adaopt.minimize(sphere, [1.0, 1.0], jac=sphere_grad, bounds=[(0, 1)])
    with pytest.raises(ValueError, match="lower bound > upper bound"):
        adaopt.minimize(sphere, [1.0], jac=sphere_grad, bounds=Bounds([2.0], [1.0]))
    x0 = np.array([5.0, 1.0])
    with pytest.warns(OptimizeWarning, match="not within the specified bounds"):
        res = adaopt.minimize(sphere, x0, jac=sphere_grad, bounds=[(0, 2), (0, 2)],
                              options=dict(maxiter=0))
    assert_array_equal(res.x, [2.0, 1.0])
    assert_array_equal(x0, [5.0, 1.0])


# -- 5. callback ---------------------------------------------------------------------

def test_new_style_callback_sees_x_and_f_at_x():
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result)

    res = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad, callback=cb,
                          options=dict(lr=0.05, maxiter=10))
    assert len(seen) == 10
    assert all(isinstance(r, OptimizeResult) and r.fun == sphere(r.x) for r in seen)
    assert [r.nit for r in seen] == list(range(1, 11))
    assert_array_equal(seen[-1].x, res.x)


def test_legacy_callback_gets_a_copy():
    seen = []

    def cb(xk):
        seen.append(xk)
        xk[:] = 1e6       # must not disturb the run

    res = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad, callback=cb,
                          options=dict(lr=0.05, maxiter=10))
    ref = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=10))
    assert_array_equal(res.x, ref.x)
    assert len(seen) == 10 and len({id(a) for a in seen}) == 10


@pytest.mark.parametrize("k", [1, 7])
def test_stop_iteration_equals_maxiter(k):
    p = Rosenbrock()

    def cb(intermediate_result):
        if intermediate_result.nit == k:
            raise StopIteration

    res = adaopt.minimize(p.fun, p.x0, jac=p.jac, callback=cb,
                          options=dict(lr=0.01, maxiter=100))
    ref = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(lr=0.01, maxiter=k))
    assert res.status == 99 and not res.success
    assert res.message == "`callback` raised `StopIteration`."
    assert_array_equal(res.x, ref.x)
    assert (res.fun, res.nit) == (ref.fun, ref.nit) == (p.fun(ref.x), k)


# -- 8. disp and progress ------------------------------------------------------------

def test_disp_prints_scipy_like_summary(capsys):
    res = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=12, disp=True))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == res.message
    assert f"Current function value: {res.fun:f}" in out[1]
    assert out[2].split() == ["Iterations:", "12"]
    assert out[3].split() == ["Function", "evaluations:", "13"]
    assert out[4].split() == ["Gradient", "evaluations:", "13"]


def test_progress_every_k_iterations(capsys):
    adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                    options=dict(lr=0.05, maxiter=25, progress=10))
    lines = capsys.readouterr().out.splitlines()
    # with the default rule each line shows the rate its step took
    assert lines[0].split() == ["iter", "f", "|g|_inf", "lr", "iter/s"]
    rows = [line.split() for line in lines[1:]]
    assert [int(r[0]) for r in rows] == [0, 10, 20]
    assert float(rows[0][1]) == pytest.approx(5.0)
    assert float(rows[0][2]) == pytest.approx(4.0)
    assert float(rows[0][3]) == 0.05              # the first step takes lr
    assert all(float(r[4]) > 0 for r in rows[1:])
    adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad, options=dict(maxiter=25))
    assert capsys.readouterr().out == ""


def test_no_warnings_on_a_clean_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad, options=dict(maxiter=5))


def test_gradients_of_other_layouts_are_converted():
    # strided, reversed and read-only gradients take the checked path, same steps
    def strided(x):
        buf = np.zeros(2 * x.size)
        buf[::2] = 2 * x
        return buf[::2]

    def reversed_(x):
        g = (2 * x)[::-1].copy()[::-1]      # a view with a negative stride
        assert g.strides[0] < 0
        return g

    def readonly(x):
        g = 2 * x
        g.flags.writeable = False
        return g

    ref = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=20))
    for jac in (strided, reversed_, readonly):
        res = adaopt.minimize(sphere, [1.0, 2.0], jac=jac,
                              options=dict(lr=0.05, maxiter=20))
        assert_array_equal(res.x, ref.x)


def test_float32_finite_differences_and_bounds():
    def f(x):
        return (x[0] - 1) ** 2 + 10 * (x[1] + 0.5) ** 2     # takes complex x too

    for jac in (None, "3-point", "cs"):
        res = adaopt.minimize(f, np.array([0, 0], np.float32), jac=jac,
                              bounds=[(-1, 0.9), (None, None)],
                              options=dict(lr_schedule=cosine_decay(0.05, 600),
                                           maxiter=600))
        assert res.x.dtype == res.jac.dtype == np.float32
        assert res.x[0] == np.float32(0.9)                   # on its bound
        assert abs(res.x[1] + 0.5) < 1e-3
        # 2-point error in float32: h f''/2 = sqrt(eps32) * 20 / 2 ~ 3.5e-3
        assert_allclose(res.jac, [2 * (0.9 - 1), 20 * (res.x[1] + 0.5)], atol=5e-3)


def test_method_may_be_adaopt_rmsprop_itself():
    res = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad, method=adaopt.rmsprop,
                          options=dict(lr=0.05, maxiter=20))
    ref = adaopt.minimize(sphere, [1.0, 2.0], jac=sphere_grad,
                          options=dict(lr=0.05, maxiter=20))
    assert_array_equal(res.x, ref.x)


def test_the_policy_sets_rmsprops_momentum_in_minimize_only():
    # minimize's policy (docs/guide/minimize.rst): momentum 0.9 for RMSprop
    # and SGD, where the objects keep PyTorch's 0; no other method has a
    # default of its own in minimize
    import inspect
    rmsprop = METHODS["rmsprop"]
    assert rmsprop.object_defaults_in_minimize == {"momentum": 0.0}
    assert rmsprop.minimize_defaults["momentum"] == 0.9
    assert inspect.signature(adaopt.RMSprop).parameters["momentum"].default == 0.0
    assert inspect.signature(adaopt.rmsprop_njit).parameters["momentum"].default == 0.9
    assert METHODS["sgd"].object_defaults_in_minimize == {"momentum": 0.0}
    assert inspect.signature(adaopt.SGD).parameters["momentum"].default == 0.0
    assert not any(m.object_defaults_in_minimize for name, m in METHODS.items()
                   if name not in ("rmsprop", "sgd"))
    x0 = [3.0, -1.0]
    default = adaopt.minimize(sphere, x0, jac=sphere_grad, options=dict(maxiter=50))
    given = adaopt.minimize(sphere, x0, jac=sphere_grad, options=dict(maxiter=50, momentum=0.9))
    plain = adaopt.minimize(sphere, x0, jac=sphere_grad, options=dict(maxiter=50, momentum=0.0))
    assert_array_equal(default.x, given.x)
    assert not np.array_equal(default.x, plain.x)
