"""The compiled driver (adaopt._compiled_loop) against the Python-driven loop.

Both drivers share the iteration (adaopt._iteration and the kernels), so
for the same inputs they must return the same x, fun, jac, nit, nfev, njev,
status and message to the bit.  The objectives are jitted once
(adaopt.jitted_problems, and differential_objectives.quad_fg, cache=True) and reused
by every test: each (objective, kernel
flavour, dtype) compiles one driver, cached on disk.
"""

import math

import numba
import numpy as np
import pytest

import adaopt
from adaopt import _minimize, _problem, schedules, status
from adaopt._compiled_loop import get_driver
from adaopt._objective_digest import objective_digest
from adaopt._rmsprop import RMSPROP
from adaopt._workspace import check_box
from adaopt.jitted_problems import rosenbrock_f as rosen_f
from adaopt.jitted_problems import rosenbrock_fg as rosen_fg
from adaopt.jitted_problems import rosenbrock_grad as rosen_g
from adaopt.problems import Rosenbrock


# 0.5 sum d (x - c)^2, NaN beyond ``x[0] > wall`` (to test failures): the
# objective of test_differential.py, whose drivers it shares (one of its own
# here compiled the same float64 driver once more)
from differential_objectives import quad_fg  # noqa: E402


X0 = np.array([-1.2, 1.0])
D = np.array([1.0, 10.0, 100.0])
C = np.array([0.5, -1.0, 2.0])


def run_both(fun, x0, **kwargs):
    options = kwargs.pop("options", {})
    python = adaopt.minimize(fun, x0, options=dict(options, driver="python"), **kwargs)
    fast = adaopt.minimize(fun, x0, options=dict(options, driver="compiled"), **kwargs)
    return python, fast


def assert_same(python, fast):
    np.testing.assert_array_equal(fast.x, python.x)
    np.testing.assert_array_equal(fast.jac, python.jac)
    assert fast.x.dtype == python.x.dtype
    assert (fast.fun == python.fun) or (math.isnan(fast.fun) and math.isnan(python.fun))
    for key in ("nit", "nfev", "njev", "status", "success", "message"):
        assert fast[key] == python[key], key


@pytest.mark.filterwarnings("ignore:Initial guess is not within")
@pytest.mark.parametrize("options, bounds", [
    (dict(maxiter=500, lr=1e-3), None),
    # a projection that binds, on both coordinates
    (dict(maxiter=400, lr=1e-2), [(-1.0, 0.5), (None, 0.8)]),
    # per-step scalars: bias correction, clip_norm (with clip_value), decoupled
    # weight decay, eps inside the sqrt, and a schedule across several chunks
    (dict(maxiter=2500, bias_correction=True, clip_norm=5.0, clip_value=50.0,
          weight_decay=1e-3, decoupled_weight_decay=True, eps_in_sqrt=True,
          lr_schedule=schedules.cosine_decay(0.01, 2500)), None),
    (dict(maxiter=300, weight_decay=0.1, maximize=False, initial_scale=1.0,
          rho=0.5, eps=1e-3), None),
    (dict(maxfev=137), None),
    (dict(xtol=1e-4, lr=1e-5), None),
    (dict(ftol=1e-3, lr=1e-4), None),
])
def test_same_result_as_python_driver_jac_true(options, bounds):
    python, fast = run_both(rosen_fg, X0, jac=True, bounds=bounds, options=options)
    assert_same(python, fast)
    assert fast.nit > 0


def test_statuses_of_the_stopping_tests_are_reached():
    # the parametrized cases above really exercise each test
    opts = [dict(maxfev=137), dict(xtol=1e-4, lr=1e-5), dict(ftol=1e-3, lr=1e-4),
            dict(maxiter=50)]
    got = [adaopt.minimize(rosen_fg, X0, jac=True, options=dict(o, driver="compiled")).status
           for o in opts]
    assert got == [status.MAXFEV, status.XTOL, status.FTOL, status.MAXITER]
    assert adaopt.minimize(rosen_fg, X0, jac=True,
                           options=dict(maxfev=137, driver="compiled")).nfev == 137


def test_separate_jac_and_centered_momentum_flavour():
    python, fast = run_both(rosen_f, X0, jac=rosen_g, options=dict(
        maxiter=300, centered=True, momentum=0.9, nesterov=True, lr=1e-3))
    assert_same(python, fast)


def test_args_are_passed_through_and_gtol_stops():
    args = (D, C, np.inf)
    python, fast = run_both(quad_fg, np.zeros(3), jac=True, args=args, options=dict(
        lr_schedule=schedules.exponential_decay(0.05, 0.99), maxiter=5000, gtol=1e-6))
    assert_same(python, fast)
    assert fast.status == status.GTOL and fast.success
    np.testing.assert_allclose(fast.x, C, atol=1e-6)


def test_nonfinite_objective_returns_last_finite_iterate():
    # f is NaN once x[0] > 0.3: the run stops there with the previous iterate
    args = (D, C, 0.3)
    python, fast = run_both(quad_fg, np.zeros(3), jac=True, args=args,
                            options=dict(lr=0.01, maxiter=1000))
    assert_same(python, fast)
    assert fast.status == status.NONFINITE and not fast.success
    assert fast.x[0] <= 0.3 and math.isfinite(fast.fun)
    assert fast.fun == quad_fg(fast.x, *args)[0]


def test_float32_run_stays_float32():
    x0 = X0.astype(np.float32)
    python, fast = run_both(rosen_fg, x0, jac=True, options=dict(maxiter=200))
    assert_same(python, fast)
    assert fast.x.dtype == np.float32 and fast.jac.dtype == np.float32


def test_answer_matches_a_python_objective():
    # the jitted objective computes what adaopt.problems.Rosenbrock computes
    p = Rosenbrock()
    ref = adaopt.minimize(p.fun_and_jac, p.x0, jac=True, options=dict(maxiter=300))
    fast = adaopt.minimize(rosen_fg, p.x0, jac=True, options=dict(maxiter=300))
    np.testing.assert_allclose(fast.x, ref.x, rtol=1e-12)
    assert fast.nit == ref.nit == 300


def test_disp_and_progress_print_like_the_python_driver():
    # ``out`` (where lines go) is a field of the parsed problem, not an option
    outputs = {}
    for driver in ("python", "compiled"):
        lines = []
        problem = _problem.parse_problem(rosen_fg, X0, jac=True, options=dict(
            maxiter=2500, disp=True, progress=500, driver=driver))
        problem.out = lines.append
        _minimize.run(problem)
        # drop the iterations-per-second column, the one thing that differs
        outputs[driver] = [line.split()[:3] if line[:10].strip().isdigit()
                           else line for line in lines]
    assert outputs["compiled"] == outputs["python"]
    # the default policy converges at iteration 1144 (well within maxiter)
    assert outputs["compiled"][-3].split() == ["Iterations:", "1144"]
    assert len(outputs["compiled"]) == 1 + 3 + 5   # header, iterations 0, 500, 1000, summary


def test_auto_picks_the_compiled_driver_only_when_it_can():
    choose = _minimize.choose_driver
    parse = _problem.parse_problem
    p = Rosenbrock()
    assert choose(parse(rosen_fg, X0, jac=True)) == "compiled"
    assert choose(parse(rosen_f, X0, jac=rosen_g)) == "compiled"
    assert choose(parse(p.fun, X0, jac=p.jac)) == "python"
    assert choose(parse(rosen_f, X0, jac=p.jac)) == "python"
    assert choose(parse(rosen_f, X0)) == "python"                  # finite differences
    assert choose(parse(rosen_fg, X0, jac=True, callback=lambda xk: None)) == "python"


@pytest.mark.parametrize("kwargs, match", [
    (dict(fun=Rosenbrock().fun_and_jac, jac=True), "fun to be a Numba-jitted"),
    (dict(fun=rosen_f, jac=Rosenbrock().jac), "jac to be a Numba-jitted"),
    (dict(fun=rosen_f, jac="3-point"), "finite differences"),
    (dict(fun=rosen_fg, jac=True, callback=lambda xk: None), "callback"),
])
def test_forcing_the_compiled_driver_where_it_cannot_run_raises(kwargs, match):
    fun = kwargs.pop("fun")
    with pytest.raises(ValueError, match=match):
        adaopt.minimize(fun, X0, options=dict(driver="compiled"), **kwargs)


def test_wrong_gradient_length_raises_value_error():
    # x of one element broadcasts against the three of D and C: a gradient of 3
    with pytest.raises(ValueError, match="length of x0"):
        adaopt.minimize(quad_fg, np.zeros(1), jac=True, args=(D, C, np.inf),
                        options=dict(driver="compiled", maxiter=3))


@numba.njit
def _compiled_check_box(lo, hi):
    return check_box(lo, hi)


@pytest.mark.parametrize("lo, hi", [
    ([-np.inf, -np.inf], [np.inf, np.inf]),     # unbounded
    ([0.0, -np.inf], [np.inf, np.inf]),          # one lower bound
    ([-np.inf, -np.inf], [np.inf, 2.0]),         # one upper bound
    ([0.0, 3.0, 1.0], [1.0, 2.0, 0.5]),         # lower > upper twice: the first
    ([0.0, np.nan], [1.0, 1.0]),                 # NaN
    ([1.0, 1.0], [1.0, 1.0]),                    # lower == upper is a box
])
def test_the_compiled_box_check_is_the_numpy_one(lo, hi):
    lo, hi = np.array(lo), np.array(hi)
    first, bounded = check_box(lo, hi)
    assert _compiled_check_box(lo, hi) == (first, bounded)
    assert first == next((i for i in range(lo.size) if not lo[i] <= hi[i]), -1)


def test_driver_is_built_once_per_objective_and_named_by_its_code():
    # a flavour no other test builds (building compiles nothing; calling does)
    centered = (True, True, False)
    a = get_driver("single", RMSPROP, centered, rosen_fg, None, True, False)
    digest = objective_digest(rosen_fg, None)
    assert get_driver("single", RMSPROP, centered, rosen_fg, None, True, False) is a
    assert digest is not None and digest in a.py_func.__qualname__
    # a run without clip_norm gets its own driver, without the clip-norm
    # kernel, and one with the plateau rule its own, with the plateau rule,
    # each under its own name in the disk cache
    b = get_driver("single", RMSPROP, centered, rosen_fg, None, False, False)
    assert b is not a and b.py_func.__qualname__ == a.py_func.__qualname__ + "_noclip"
    c = get_driver("single", RMSPROP, centered, rosen_fg, None, True, True)
    assert c is not a and c.py_func.__qualname__ == a.py_func.__qualname__ + "_plateau"
    assert digest != objective_digest(rosen_f, rosen_g)
    # no source file: no disk cache (the name would not follow edits)
    scope = {"np": np}
    exec("def typed_at_prompt(x):\n    return (x * x).sum(), 2 * x\n", scope)
    assert objective_digest(numba.njit(scope["typed_at_prompt"]), None) is None


# -- rmsprop_njit from the user's own compiled code ----------------------------

@numba.njit(cache=True)
def fit_rows(starts, lower, upper, lr, rho, maxiter):
    """A user's compiled loop fitting one Rosenbrock per row of ``starts``;
    also returns the last run's own ``x`` and ``jac`` arrays as they are."""
    n = starts.shape[0]
    xs = np.empty_like(starts)
    funs = np.empty(n)
    nits = np.empty(n, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    last_x, last_jac = np.empty(0), np.empty(0)
    for i in range(n):
        r = adaopt.rmsprop_njit(rosen_fg, starts[i], lower=lower, upper=upper,
                                lr=lr, rho=rho, maxiter=maxiter)
        xs[i] = r.x
        funs[i] = r.fun
        nits[i] = r.nit
        codes[i] = r.status
        last_x, last_jac = r.x, r.jac
    return xs, funs, nits, codes, last_x, last_jac


@pytest.mark.filterwarnings("ignore:Initial guess is not within")
def test_rmsprop_njit_from_user_njit_code_equals_minimize():
    starts = np.array([[-1.2, 1.0], [0.5, 0.5], [2.0, -1.0]])
    lower = np.array([-1.0, -np.inf])
    upper = np.array([1.5, 0.9])
    xs, funs, nits, codes, _, _ = fit_rows(starts, lower, upper, 2e-3, 0.9, 700)
    for i, x0 in enumerate(starts):
        ref = adaopt.minimize(rosen_fg, x0, jac=True, bounds=list(zip(lower, upper)),
                              options=dict(lr=2e-3, maxiter=700, driver="python"))
        np.testing.assert_array_equal(xs[i], ref.x)
        assert funs[i] == ref.fun and nits[i] == ref.nit and codes[i] == ref.status
    # unbounded (infinite bounds) runs as minimize without bounds
    inf = np.full(2, np.inf)
    xs, funs, nits, codes, _, _ = fit_rows(starts[:1], -inf, inf, 1e-3, 0.9, 300)
    ref = adaopt.minimize(rosen_fg, starts[0], jac=True, options=dict(maxiter=300))
    np.testing.assert_array_equal(xs[0], ref.x)
    assert funs[0] == ref.fun and nits[0] == ref.nit == 300


def test_rmsprop_njit_returns_arrays_that_own_their_memory():
    # the loop inside works on borrowed (uncounted) arrays: what comes out
    # must be ordinary, owned arrays that outlive the call (the caller above,
    # so that no other caller compiles the entry point again)
    inf = np.full(2, np.inf)
    *_, x, jac = fit_rows(X0.copy()[None], -inf, inf, 1e-3, 0.9, 50)
    churn = [np.full(2, float(i)) for i in range(1000)]   # reuse freed memory
    assert x.base is not None and jac.base is not None   # held by a Numba MemInfo
    ref = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(lr=1e-3, maxiter=50))
    np.testing.assert_array_equal(x, ref.x)
    np.testing.assert_array_equal(jac, ref.jac)
    assert len(churn) == 1000


def test_rmsprop_njit_rejects_bad_options():
    inf = np.full(2, np.inf)
    with pytest.raises(ValueError, match="rho"):
        fit_rows(X0[None], -inf, inf, 1e-3, 1.5, 10)
    with pytest.raises(ValueError, match="lower > upper"):
        fit_rows(X0[None], inf, -inf, 1e-3, 0.9, 10)


def test_rmsprop_njit_called_from_python_runs_as_from_njit_code():
    # From Python the entry point runs the call in a small jitted function of
    # the arguments given: the same result, to the bit, as fit_rows's (and
    # minimize's, whose driver it calls); and
    # with ``centered`` and ``momentum`` left at their defaults the call
    # compiles one flavour (momentum: minimize's 0.9), not all four.
    from adaopt import _njit_entry
    start, lower, upper = np.array([-1.2, 1.0]), np.array([-1.0, -np.inf]), np.array([1.5, 0.9])
    xs, funs, nits, codes, _, jac = fit_rows(start[None], lower, upper, 2e-3, 0.9, 700)
    # the run is minimize's own compiled driver for rosen_fg: compiled (or
    # loaded) by minimize, then called by the entry point with the same
    # argument types, so it compiles no other signature of it
    compiled = adaopt.minimize(rosen_fg, start, jac=True, bounds=list(zip(lower, upper)),
                               options=dict(lr=2e-3, rho=0.9, maxiter=700,
                                            driver="compiled"))
    driver = get_driver("single", RMSPROP, (True, False, True), rosen_fg, None, False, False)
    signatures = list(driver.signatures)
    before = set(_njit_entry._built)
    r = adaopt.rmsprop_njit(rosen_fg, start, lower=lower, upper=upper, lr=2e-3, rho=0.9,
                            maxiter=700)
    assert driver.signatures == signatures
    np.testing.assert_array_equal(r.x, compiled.x)
    assert type(r) is adaopt.rmsprop_njit.result_type
    np.testing.assert_array_equal(r.x, xs[0])
    np.testing.assert_array_equal(r.jac, jac)
    assert (r.fun, r.nit, r.status) == (funs[0], nits[0], codes[0])
    momentum = RMSPROP.flavours.index((True, False, True))
    built = [key[2] for key in _njit_entry._built if key[:2] == ("impl", "rmsprop")]
    assert (momentum,) in built
    assert all(len(key[2]) == 1 for key in set(_njit_entry._built) - before
               if key[:2] == ("impl", "rmsprop"))


_PICKED = numba.types.Tuple((numba.float64, numba.float64[::1]))(numba.float64[::1])


@numba.njit(_PICKED, cache=True)
def _towards_one(x):
    r = x - 1.0
    return 0.5 * np.sum(r * r), r.copy()


@numba.njit(_PICKED, cache=True)
def _towards_minus_two(x):
    r = x + 2.0
    return np.sum(r * r * r * r), 4.0 * r * r * r


@numba.njit
def _fit_picked(objectives, i, x0):
    # objectives[i] with a run-time i is a first-class function (not one
    # jitted function known while compiling): the entry point then inlines
    # the compiled loop instead of calling minimize's driver
    r = adaopt.rmsprop_njit(objectives[i], x0, lr=0.01, maxiter=400)
    return r.x, r.fun, r.nit, r.status


@pytest.mark.filterwarnings("ignore:First-class function type feature is experimental")
def test_rmsprop_njit_runs_an_objective_chosen_at_run_time():
    objectives = (_towards_one, _towards_minus_two)
    for i, fun in enumerate(objectives):
        x, f, nit, code = _fit_picked(objectives, i, X0)
        ref = adaopt.minimize(fun, X0, jac=True, options=dict(lr=0.01, maxiter=400,
                                                              driver="python"))
        np.testing.assert_array_equal(x, ref.x)
        assert (f, nit, code) == (ref.fun, ref.nit, ref.status)


def test_keyboard_interrupt_between_chunks_returns_the_work_done():
    # The schedule runs in Python between chunks: an interrupt raised there is
    # what Ctrl-C during a chunk becomes (Python sees it when the chunk returns).
    def schedule(t):
        if t > 1500:
            raise KeyboardInterrupt
        return 1e-3

    res = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
        lr_schedule=schedule, maxiter=5000, driver="compiled"))
    assert res.status == status.INTERRUPTED and not res.success
    assert 0 < res.nit < 1500
    # the last fully evaluated iterate: as if maxiter had been nit
    ref = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
        lr=1e-3, lr_schedule=None, maxiter=res.nit, driver="python"))
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.jac, ref.jac)
    assert res.fun == ref.fun


def test_njit_entry_checks_only_the_hyperparameters_a_call_passes():
    """A hyperparameter left out of the call is minimize's default, which needs
    no check: the setup compiled for that call encodes the default as a
    constant (less code to compile) and still checks what the call passes
    (``test_rmsprop_njit_rejects_bad_options``; a call omitting most of them
    runs as minimize to the bit in
    ``test_rmsprop_njit_from_user_njit_code_equals_minimize``, and every
    method's encoding of its omitted defaults is minimize's in the test
    below)."""
    passed = [h for h in RMSPROP.hyperparameters if h.in_minimize and not h.fixed]
    omitted = {h.name for h in passed} - {"lr"}
    full = "\n".join(RMSPROP.nopython_checks())
    lines = "\n".join(RMSPROP.nopython_checks(omitted=omitted))
    assert "raise ValueError('lr must be" in full and "raise ValueError('lr must be" in lines
    for h in passed:
        if h.name not in omitted or h.kind == "bool":
            continue
        assert f"raise ValueError('{h.name}" in full
        assert f"raise ValueError('{h.name}" not in lines
        slot = RMSPROP.Cfg[h.slots[0].upper()].value
        for k, value in enumerate(h.encode(h.default_in_minimize)):
            assert f"    cfg[{slot + k}] = {value!r}" in lines.splitlines()


@pytest.mark.parametrize("name", list(_problem.METHODS))
def test_njit_entry_encodes_omitted_hyperparameters_as_minimize_does(name):
    # the lines setup compiles for a call that passes lr alone, run as Python
    # (what they do is fill cfg): the settings minimize runs with its defaults
    method = _problem.METHODS[name]
    hyper = {h.name: h.default_in_minimize for h in method.hyperparameters
             if h.in_minimize and not h.fixed}
    lines = method.nopython_checks(indent="", omitted=set(hyper) - {"lr"})
    scope = dict(method.nopython_globals(), np=np, inf=np.inf,
                 cfg=np.full(len(method.Cfg), np.nan), **hyper)
    exec("\n".join(lines), scope)
    np.testing.assert_array_equal(scope["cfg"], method.settings(method.check(hyper)))


def test_njit_entry_compiles_only_the_flavours_its_arguments_leave_open():
    """A caller leaving ``centered``/``momentum`` at their defaults compiles
    one iteration, not all four (each ~2 s); a constant ``True``/``False``
    fixes its array too; a number or a run-time boolean leaves both."""
    from numba import types
    from adaopt._njit_entry import possible_flavours
    index = {flavour: k for k, flavour in enumerate(RMSPROP.flavours)}
    plain, centered = index[(True, False, False)], index[(True, True, False)]
    momentum, both = index[(True, False, True)], index[(True, True, True)]
    omitted = (types.Omitted(False), types.Omitted(0.0))
    assert possible_flavours(RMSPROP, omitted) == (plain,)
    assert possible_flavours(RMSPROP, (types.BooleanLiteral(True), types.Omitted(0.0))) \
        == (centered,)
    assert possible_flavours(RMSPROP, (types.Omitted(False), types.float64)) \
        == (plain, momentum)
    # constants passed for both: a boolean arrives as a literal, a float has
    # no literal type (an omitted one reaches the typer as Omitted, above)
    assert possible_flavours(RMSPROP, (types.BooleanLiteral(False), types.float64)) \
        == (plain, momentum)
    assert sorted(possible_flavours(RMSPROP, (types.boolean, types.float64))) \
        == sorted([plain, centered, momentum, both])
    # the defaults' flavour is the one minimize runs with its defaults
    cfg = RMSPROP.settings(RMSPROP.check({}))
    assert RMSPROP.flavours[plain] == RMSPROP.flavour(cfg)
