"""Point 7 of issue 3: a failure or an interrupt loses nothing.

A non-finite f or g stops with status NONFINITE and returns the last iterate
where both were finite, with its f; KeyboardInterrupt stops with status
INTERRUPTED and returns the last fully evaluated iterate.  Each is checked
against a run with ``maxiter`` set to the iteration that should come back.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import adaopt
from adaopt import status
from adaopt.problems import Rosenbrock

P = Rosenbrock()
OPTS = dict(lr=0.01)


def reference(k):
    return adaopt.minimize(P.fun, P.x0, jac=P.jac, options=dict(OPTS, maxiter=k))


def failing_at(call, what, exc=None):
    """fun/jac that misbehave at their ``call``-th call (1-based)."""
    count = {"fun": 0, "jac": 0}

    def fun(x):
        count["fun"] += 1
        if what == "fun" and count["fun"] == call:
            if exc is not None:
                raise exc
            return np.nan
        return P.fun(x)

    def jac(x):
        count["jac"] += 1
        g = P.jac(x)
        if what == "jac" and count["jac"] == call:
            if exc is not None:
                raise exc
            g[1] = np.inf
        if what == "huge" and count["jac"] == call:
            g[0] = 1e300          # finite, but its square overflows the second moment
        return g

    return fun, jac


@pytest.mark.parametrize("what", ["fun", "jac"])
@pytest.mark.parametrize("call", [2, 6])
def test_nonfinite_returns_last_finite_iterate(what, call):
    fun, jac = failing_at(call, what)
    res = adaopt.minimize(fun, P.x0, jac=jac, options=dict(OPTS, maxiter=100))
    ref = reference(call - 2)       # call c evaluates x_{c-1}; x_{c-2} is the last good one
    assert res.status == status.NONFINITE and not res.success
    assert res.message == status.MESSAGES[status.NONFINITE]
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun == P.fun(res.x) and np.isfinite(res.fun)
    assert_array_equal(res.jac, P.jac(res.x))
    assert res.nit == call - 2
    assert res.nfev == call


def test_nonfinite_at_x0():
    fun, jac = failing_at(1, "fun")
    res = adaopt.minimize(fun, P.x0, jac=jac)
    assert res.status == status.NONFINITE and res.nit == 0
    assert_array_equal(res.x, P.x0)
    assert np.isnan(res.fun)


def test_overflowing_update_keeps_the_iterate():
    # g is finite at x_4 but the step from it is not: x_4 comes back, with its f and g
    fun, jac = failing_at(5, "huge")
    res = adaopt.minimize(fun, P.x0, jac=jac, options=dict(OPTS, maxiter=100))
    ref = reference(4)
    assert res.status == status.NONFINITE
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun and res.nit == 4
    assert res.jac[0] == 1e300


@pytest.mark.parametrize("what", ["fun", "jac"])
@pytest.mark.parametrize("call", [2, 9])
def test_keyboard_interrupt_returns_the_work_done(what, call):
    fun, jac = failing_at(call, what, exc=KeyboardInterrupt)
    res = adaopt.minimize(fun, P.x0, jac=jac, options=dict(OPTS, maxiter=100))
    ref = reference(call - 2)
    assert res.status == status.INTERRUPTED and not res.success
    assert res.message == status.MESSAGES[status.INTERRUPTED]
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun and res.nit == call - 2
    assert_array_equal(res.jac, P.jac(res.x))
    assert res.nfev == call


def test_keyboard_interrupt_in_the_callback_keeps_that_iterate():
    def cb(intermediate_result):
        if intermediate_result.nit == 5:
            raise KeyboardInterrupt

    res = adaopt.minimize(P.fun, P.x0, jac=P.jac, callback=cb,
                          options=dict(OPTS, maxiter=100))
    ref = reference(5)
    assert res.status == status.INTERRUPTED
    assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun and res.nit == 5


def test_keyboard_interrupt_in_the_first_evaluation():
    fun, jac = failing_at(1, "fun", exc=KeyboardInterrupt)
    res = adaopt.minimize(fun, P.x0, jac=jac)
    assert res.status == status.INTERRUPTED and res.nit == 0
    assert_array_equal(res.x, P.x0)
    assert np.isnan(res.fun)


def test_other_exceptions_propagate():
    def fun(x):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        adaopt.minimize(fun, P.x0, jac=P.jac)
