"""Numerical health over long runs and at the edges of the float range.

What is promised (docs/reliability.rst): the centered variance is clamped
at 0, so it never gives NaN; an element whose gradient, second moment or
update is not finite is left unchanged with its state (``'raise'`` reports
it, ``'skip'`` does not) unless ``nonfinite='propagate'``; tiny gradients
and underflow are harmless; huge gradients behave like unit ones until
``g**2`` overflows the dtype.
"""

import numpy as np
import pytest

import adaopt

STEPS = 100_000


def test_centered_float32_near_constant_gradient_stays_finite():
    """10^5 steps with g = 1 + 1e-6 noise: the variance estimate v - m^2 is
    rounding noise around 0, negative at times in float32.  Clamped, it
    never turns into NaN; unclamped (PyTorch's centered RMSprop) it would.
    """
    rng = np.random.default_rng(0)
    grads = (1.0 + 1e-6 * rng.standard_normal((STEPS, 4))).astype(np.float32)
    x = np.zeros(4, np.float32)
    opt = adaopt.RMSprop(x, lr=1e-3, centered=True)
    v, m = opt.state["square_avg"], opt.state["grad_avg"]
    negative = 0
    for g in grads:
        opt.step(g)
        negative += int(np.any(v - m * m < 0))
    assert negative > 0          # the clamp was needed, so the test can fail
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(v)) and np.all(np.isfinite(m))
    # every step went the same way (no sign flip from a bogus variance) and
    # was at most lr * g / eps, the step of a zero variance
    assert np.all(x < 0)
    assert np.all(-x <= STEPS * 1e-3 * grads.max() / np.float32(1e-8))
    assert opt.step_count == STEPS


@pytest.mark.parametrize("eps_in_sqrt", [False, True])
def test_zero_gradient_with_zero_eps(eps_in_sqrt):
    """0 / (sqrt(0) + 0) is 0/0: the element does not move ('raise' says so),
    or becomes NaN under 'propagate', as PyTorch gives."""
    def run(mode):
        x = np.array([1.0, 2.0, 3.0])
        opt = adaopt.RMSprop(x, lr=0.1, eps=0.0, eps_in_sqrt=eps_in_sqrt, nonfinite=mode)
        g = np.array([0.0, 1.0, 0.0])
        return x, opt, g

    x, opt, g = run("raise")
    with pytest.raises(adaopt.NonFiniteUpdateError):
        opt.step(g)
    np.testing.assert_array_equal(x[[0, 2]], [1.0, 3.0])
    assert x[1] < 2.0                       # the other element took its step
    np.testing.assert_array_equal(opt.state["square_avg"][[0, 2]], [0.0, 0.0])

    x, opt, g = run("skip")
    opt.step(g)
    np.testing.assert_array_equal(x[[0, 2]], [1.0, 3.0])

    x, opt, g = run("propagate")
    opt.step(g)
    assert np.isnan(x[0]) and np.isnan(x[2]) and np.isfinite(x[1])


# (1 - rho) * g * g overflows float32 above sqrt(3.4e38 / 0.1) ~ 5.8e19 and
# float64 above ~4.2e154 (rho = 0.9)
SAFE_HUGE = {np.float32: [1e6, 1e12, 1e18], np.float64: [1e12, 1e100, 1e150]}
OVERFLOW = {np.float32: [1e20, 1e30, 3e38], np.float64: [1e155, 1e300]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_gradients_step_like_unit_ones(dtype):
    """RMSprop divides by the gradient's own scale: until g**2 overflows, a
    gradient c*g takes the step of g, up to rounding (eps=0 here: with the
    default 1e-8 a unit gradient's step is smaller by about 1e-8)."""
    def run(scale):
        x = np.linspace(-1, 1, 5).astype(dtype)
        opt = adaopt.RMSprop(x, lr=0.01, eps=0.0, momentum=0.9)
        for t in range(20):
            opt.step((scale * np.cos(x + t)).astype(dtype))
        return x

    unit = run(1.0)
    for scale in SAFE_HUGE[dtype]:
        np.testing.assert_allclose(run(scale), unit, rtol=0, atol=50 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_overflowing_gradients_are_non_finite_updates(dtype):
    for scale in OVERFLOW[dtype]:
        x = np.array([1.0, 1.0], dtype)
        opt = adaopt.RMSprop(x, lr=0.1)
        with pytest.raises(adaopt.NonFiniteUpdateError, match="non-finite update"):
            opt.step(np.array([scale, 1.0], dtype))
        assert x[0] == 1.0 and opt.state["square_avg"][0] == 0.0   # left as it was
        assert x[1] < 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_gradients_and_underflow(dtype):
    """Below eps a gradient is damped (u ~ g/eps) instead of normalised; its
    square may underflow to 0 or a subnormal.  Nothing becomes non-finite and
    the step has the gradient's sign."""
    info = np.finfo(dtype)
    for g0 in [1e-12, float(np.sqrt(info.tiny)) / 10, float(info.tiny), float(info.smallest_subnormal)]:
        x = np.array([1.0, 1.0], dtype)
        opt = adaopt.RMSprop(x, lr=1.0)
        opt.step(np.array([g0, -g0], dtype))
        v = opt.state["square_avg"]
        assert np.all(np.isfinite(x)) and np.all(v >= 0)
        assert x[0] <= 1.0 <= x[1]
        # |u| <= |g| / eps: the step of a zero second moment at most
        assert abs(float(x[0]) - 1.0) <= g0 / 1e-8 * 1.01 + float(np.spacing(dtype(1.0)))


def test_underflowed_square_with_zero_eps_is_skipped():
    # g**2 underflows to 0 in float32 and eps=0: g/0 is inf, not a step
    x = np.array([1.0, 1.0], np.float32)
    opt = adaopt.RMSprop(x, lr=0.1, eps=0.0, nonfinite="skip")
    opt.step(np.array([1e-30, 1.0], np.float32))
    assert x[0] == 1.0 and x[1] < 1.0
