"""A run's work is never lost to the bookkeeping (docs/reliability.rst,
"Faults and long runs").

* A learning-rate schedule is asked only for steps the run can take: a
  schedule valid for ``t <= maxiter`` (or up to the ``maxfev`` limit) runs
  to the end on both drivers, and a schedule that fails at a step the run
  never takes changes nothing.
* An exception from ``fun``, ``jac``, the callback or the schedule reaches
  the caller unchanged (the same object, scipy's behaviour) and carries the
  last good iterate and the counters as ``exc.adaopt_result``, on both
  drivers and in :func:`adaopt.multistart`.
* Ctrl-C in a multistart with a Python objective stops every start.

The jitted objectives are those of tests/test_compiled.py (shared compiled
drivers) and one module-level ``cache=True`` function for a raising objective.
"""

import math
import signal
import traceback

import numba
import numpy as np
import pytest

import adaopt
from adaopt import status
from adaopt.jitted_problems import rosenbrock_fg as rosen_fg
from adaopt import MultiStartResult
from adaopt._problem import METHODS
from adaopt.problems import Rosenbrock

X0 = np.array([-1.2, 1.0])
DRIVERS = ["python", "compiled"]
P = Rosenbrock()


@numba.njit(cache=True)
def walled_fg(x, wall):
    """Rosenbrock, raising ValueError once ``x[0] > wall``."""
    if x[0] > wall:
        raise ValueError("beyond the wall")
    return rosen_fg(x)


def constant_run(driver, **options):
    """The reference: the same run with the constant rate the schedules give."""
    return adaopt.minimize(rosen_fg, X0, jac=True,
                           options=dict(options, lr=1e-3, lr_schedule=None, driver=driver))


def assert_same(got, ref, keys=("nit", "nfev", "njev", "status", "success", "message")):
    np.testing.assert_array_equal(got.x, ref.x)
    np.testing.assert_array_equal(got.jac, ref.jac)
    assert got.fun == ref.fun or (math.isnan(got.fun) and math.isnan(ref.fun))
    for key in keys:
        assert got[key] == ref[key], key


class Recording:
    """A schedule of constant 1e-3 valid for ``t <= last`` that records its calls."""

    def __init__(self, last):
        self.last = last
        self.calls = []

    def __call__(self, t):
        self.calls.append(t)
        if t > self.last:
            raise ValueError(f"no rate for step {t}")
        return 1e-3


# -- 1. the schedule is asked only for steps the run can take ----------------------

@pytest.mark.parametrize("driver", DRIVERS)
def test_schedule_valid_up_to_maxiter_runs_to_the_end(driver):
    sched = Recording(50)
    res = adaopt.minimize(rosen_fg, X0, jac=True,
                          options=dict(lr_schedule=sched, maxiter=50, driver=driver))
    assert res.status == status.MAXITER and res.nit == 50
    assert_same(res, constant_run(driver, maxiter=50))
    # once per step taken, never beyond the run (the compiled driver
    # tabulates rates ahead: no further than maxiter)
    assert sorted(sched.calls) == list(range(1, 51))


@pytest.mark.parametrize("driver", DRIVERS)
def test_list_indexing_schedule_of_length_maxiter(driver):
    rates = list(np.linspace(1e-2, 1e-3, 40))
    res = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
        lr_schedule=lambda t: rates[t - 1], maxiter=40, driver=driver))
    assert res.status == status.MAXITER and res.nit == 40
    # the same steps as the RMSprop object taking those 40 rates by hand
    # (with minimize's default momentum)
    x = X0.copy()
    opt = adaopt.RMSprop(x, lr_schedule=lambda t: rates[t - 1],
                         momentum=METHODS["rmsprop"].minimize_defaults["momentum"])
    for _ in range(40):
        opt.step(rosen_fg(x)[1])
    np.testing.assert_array_equal(res.x, x)


@pytest.mark.parametrize("driver", DRIVERS)
def test_schedule_valid_up_to_the_maxfev_limit_runs_to_the_end(driver):
    # maxfev=30 with one call per iteration: iterations 0..29 are evaluated,
    # steps 1..29 taken
    sched = Recording(29)
    res = adaopt.minimize(rosen_fg, X0, jac=True,
                          options=dict(lr_schedule=sched, maxfev=30, driver=driver))
    assert res.status == status.MAXFEV and res.nit == 29 and res.nfev == 30
    assert_same(res, constant_run(driver, maxfev=30))
    assert max(sched.calls) == 29


@pytest.mark.parametrize("driver", DRIVERS)
def test_schedule_failing_after_the_run_stops_changes_nothing(driver):
    # gtol=20 stops at iteration 17 (before step 18): a schedule that fails
    # from step 18 on is never needed, on both drivers (the compiled one
    # tabulates ahead and must not fail where the Python one succeeds)
    ref = constant_run(driver, gtol=20.0, maxiter=500)
    assert ref.status == status.GTOL and ref.nit == 17
    res = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
        lr_schedule=Recording(17), gtol=20.0, maxiter=500, driver=driver))
    assert_same(res, ref)


def test_bad_rate_at_a_step_not_taken_changes_nothing():
    # a rate out of range is an error only for a step that is taken
    def sched(t):
        return 1e-3 if t <= 133 else -1.0
    for driver in DRIVERS:
        res = adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
            lr_schedule=sched, gtol=20.0, maxiter=500, driver=driver))
        assert_same(res, constant_run(driver, gtol=20.0, maxiter=500))


# -- 2. exceptions carry the last good iterate -------------------------------------

class Boom(RuntimeError):
    pass


def raising_at(n, fn):
    """``fn`` that raises Boom at its n-th call; ``.raised`` keeps the exception."""
    state = {"calls": 0}

    def wrapped(x, *args):
        state["calls"] += 1
        if state["calls"] == n:
            state["raised"] = Boom(f"call {n}")
            raise state["raised"]
        return fn(x, *args)
    wrapped.state = state
    return wrapped


def assert_exception_result(res, nit, nfev, njev):
    """``res`` is the run stopped by an exception after ``nit`` iterations."""
    assert res.status == status.EXCEPTION and not res.success
    assert res.message == status.MESSAGES[status.EXCEPTION]
    assert (res.nit, res.nfev, res.njev) == (nit, nfev, njev)
    ref = adaopt.minimize(P.fun, X0, jac=P.jac, options=dict(lr=1e-3, maxiter=nit))
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.jac, ref.jac)
    assert res.fun == ref.fun


def test_fun_raising_carries_the_last_good_iterate():
    fun = raising_at(40, P.fun)
    x0 = X0.copy()
    with pytest.raises(Boom) as info:
        adaopt.minimize(fun, x0, jac=P.jac, options=dict(lr=1e-3))
    assert info.value is fun.state["raised"]          # the very exception
    # its traceback still ends in the raising function
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "wrapped"
    # x_39 was stepped to but never evaluated: x_38 is the last good one;
    # 40 calls of fun (the one that raised counted), 39 of jac
    assert_exception_result(info.value.adaopt_result, 38, 40, 39)
    np.testing.assert_array_equal(x0, X0)


def test_jac_raising_carries_the_last_good_iterate():
    jac = raising_at(25, P.jac)
    with pytest.raises(Boom) as info:
        adaopt.minimize(P.fun, X0, jac=jac, options=dict(lr=1e-3))
    assert_exception_result(info.value.adaopt_result, 23, 25, 25)


def test_first_evaluation_raising_carries_x0():
    with pytest.raises(Boom) as info:
        adaopt.minimize(raising_at(1, P.fun), X0, jac=P.jac)
    res = info.value.adaopt_result
    assert res.status == status.EXCEPTION and res.nit == 0 and res.nfev == 1
    np.testing.assert_array_equal(res.x, X0)
    assert math.isnan(res.fun) and np.isnan(res.jac).all()


def test_callback_raising_carries_the_iterate_it_saw():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result)
        if intermediate_result.nit == 30:
            raise Boom("callback")

    with pytest.raises(Boom) as info:
        adaopt.minimize(P.fun, X0, jac=P.jac, callback=callback, options=dict(lr=1e-3))
    res = info.value.adaopt_result
    np.testing.assert_array_equal(res.x, seen[-1].x)
    assert_exception_result(res, 30, 31, 31)


@pytest.mark.parametrize("driver", DRIVERS)
def test_schedule_raising_carries_the_last_good_iterate(driver):
    # step 20 has no rate: x_19 (evaluated) is the last good iterate
    with pytest.raises(ValueError, match="no rate for step 20") as info:
        adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
            lr_schedule=Recording(19), maxiter=100, driver=driver))
    res = info.value.adaopt_result
    assert res.status == status.EXCEPTION and (res.nit, res.nfev, res.njev) == (19, 20, 20)
    ref = constant_run(driver, maxiter=19)
    assert_same(res, ref, keys=("nit", "nfev", "njev"))


@pytest.mark.parametrize("driver", DRIVERS)
def test_bad_rate_from_the_schedule_carries_the_last_good_iterate(driver):
    with pytest.raises(ValueError, match="t=20") as info:
        adaopt.minimize(rosen_fg, X0, jac=True, options=dict(
            lr_schedule=lambda t: 1e-3 if t < 20 else math.nan, maxiter=100,
            driver=driver))
    assert_same(info.value.adaopt_result, constant_run(driver, maxiter=19),
                keys=("nit", "nfev", "njev"))


def test_jitted_objective_raising_carries_the_same_result_on_both_drivers():
    got = {}
    for driver in DRIVERS:
        with pytest.raises(ValueError, match="beyond the wall") as info:
            adaopt.minimize(walled_fg, X0, jac=True, args=(-1.1,),
                            options=dict(lr=1e-3, driver=driver))
        got[driver] = info.value.adaopt_result
    python, fast = got["python"], got["compiled"]
    assert python.status == status.EXCEPTION and python.nit > 0
    assert python.x[0] <= -1.1 and python.fun == rosen_fg(python.x)[0]
    assert_same(fast, python)


# -- 2 and 3. multistart -------------------------------------------------------------

STARTS = np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0], [-0.5, 1.5]])
MS_OPTIONS = dict(lr=2e-3, maxiter=300)


def python_single(x0, **options):
    return adaopt.minimize(P.fun, x0, jac=P.jac, options=dict(MS_OPTIONS, **options))


def assert_not_run(res, x0, code):
    assert res.status == status.NOT_RUN and not res.success
    assert res.message == status.NOT_RUN_MESSAGES[code]
    np.testing.assert_array_equal(res.x, x0)
    assert (res.nit, res.nfev, res.njev) == (0, 0, 0)
    assert math.isnan(res.fun) and np.isnan(res.jac).all()


def test_multistart_python_exception_carries_every_start():
    # the 700th call of fun falls in start 2 (each start makes 301 calls)
    fun = raising_at(700, P.fun)
    with pytest.raises(Boom) as info:
        adaopt.multistart(fun, STARTS, jac=P.jac, options=MS_OPTIONS)
    assert info.value is fun.state["raised"]
    out = info.value.adaopt_result
    assert isinstance(out, MultiStartResult)
    for i in (0, 1):
        assert_same(out.results[i], python_single(STARTS[i]))
    part = out.results[2]
    assert part.status == status.EXCEPTION and (part.nit, part.nfev) == (96, 98)
    assert_same(part, python_single(STARTS[2], maxiter=96), keys=("nit",))
    assert_not_run(out.results[3], STARTS[3], status.EXCEPTION)
    np.testing.assert_array_equal(out.statuses, [1, 1, status.EXCEPTION, status.NOT_RUN])
    assert out.best == int(np.nanargmin(out.funs))
    assert fun.state["calls"] == 700                  # start 3 never ran


def test_multistart_ctrl_c_stops_every_start():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] == 400:                         # during start 1
            signal.raise_signal(signal.SIGINT)        # a real Ctrl-C
        return P.fun(x)

    res = adaopt.multistart(fun, STARTS, jac=P.jac, options=MS_OPTIONS)
    assert calls["n"] == 400                          # nothing ran after it
    np.testing.assert_array_equal(res.statuses, [status.MAXITER, status.INTERRUPTED,
                                                 status.NOT_RUN, status.NOT_RUN])
    assert_same(res.results[0], python_single(STARTS[0]))
    part = res.results[1]
    assert part.message == status.MESSAGES[status.INTERRUPTED]
    assert_same(part, python_single(STARTS[1], maxiter=part.nit), keys=("nit",))
    for i in (2, 3):
        assert_not_run(res.results[i], STARTS[i], status.INTERRUPTED)
    # the best of the starts that ran
    assert res.best == int(np.argmin([res.results[0].fun, part.fun]))


def test_multistart_compiled_schedule_raising_carries_every_start():
    with pytest.raises(ValueError, match="no rate for step 20") as info:
        adaopt.multistart(rosen_fg, STARTS, jac=True, options=dict(
            lr_schedule=Recording(19), maxiter=100))
    out = info.value.adaopt_result
    assert isinstance(out, MultiStartResult)
    for got, x0 in zip(out.results, STARTS):
        assert got.status == status.EXCEPTION
        ref = adaopt.minimize(rosen_fg, x0, jac=True,
                              options=dict(lr=1e-3, lr_schedule=None, maxiter=19))
        assert_same(got, ref, keys=("nit", "nfev", "njev"))


def test_multistart_compiled_objective_raising_carries_every_start():
    # start 0 crosses the wall at x[0] = -1.1; the others stay left of it
    starts = np.array([[-1.2, 1.0], [-2.0, 2.0], [-1.5, 1.0]])
    with pytest.raises(ValueError, match="beyond the wall") as info:
        adaopt.multistart(walled_fg, starts, jac=True, args=(-1.1,),
                          options=dict(lr=1e-3, maxiter=2000))
    out = info.value.adaopt_result
    with pytest.raises(ValueError) as alone:
        adaopt.minimize(walled_fg, starts[0], jac=True, args=(-1.1,),
                        options=dict(lr=1e-3, maxiter=2000, driver="compiled"))
    assert_same(out.results[0], alone.value.adaopt_result)
    # the other starts ran in parallel: each either finished, or stopped on
    # its own trajectory, or never began (its thread had not reached it)
    for got, x0 in zip(out.results[1:], starts[1:]):
        if got.status == status.NOT_RUN:
            assert_not_run(got, x0, status.EXCEPTION)
            continue
        ref = adaopt.minimize(walled_fg, x0, jac=True, args=(-1.1,), options=dict(
            lr=1e-3, maxiter=got.nit if got.status == status.EXCEPTION else 2000))
        assert_same(got, ref, keys=("nit",))
        assert got.status in (status.EXCEPTION, ref.status)
