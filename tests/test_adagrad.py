"""adaopt.Adagrad against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.Adagrad``'s
docstring (torch 2.x; Duchi, Hazan & Singer 2011), in float64; it is itself
checked against the closed form of a constant gradient.  Every option alone
and combined, 65 steps, float32 and float64, on both sides of the
serial/parallel threshold.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

from method_cases import reference_cases, run_steps


def reference(theta0, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
              initial_accumulator_value=0.0, eps=1e-10, maximize=False,
              clip_value=None, clip_norm=None, lr_schedule=None, eps_in_sqrt=False):
    """PyTorch's Adagrad pseudo-code, with adaopt's clipping first, in float64;
    ``eps_in_sqrt`` as optax's ``scale_by_rss`` and Keras 3's Adagrad have it."""
    theta = theta0.astype(np.float64)
    state_sum = np.full_like(theta, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if maximize:
            g = -g
        if clip_value is not None:
            g = np.clip(g, -clip_value, clip_value)
        if clip_norm is not None:
            norm = np.sqrt(np.sum(g * g))
            g = g * min(1.0, clip_norm / norm) if norm > 0 else g
        if weight_decay != 0:
            g = g + weight_decay * theta
        rate = lr if lr_schedule is None else lr_schedule(t)
        clr = rate / (1 + (t - 1) * lr_decay)
        state_sum = state_sum + g * g
        if eps_in_sqrt:
            theta = theta - clr * g / np.sqrt(state_sum + eps)
        else:
            theta = theta - clr * g / (np.sqrt(state_sum) + eps)
    return theta, state_sum


def test_reference_against_the_closed_form_of_a_constant_gradient():
    # s_t = s0 + t g^2: step t is clr_t g / (sqrt(s0 + t g^2) + eps)
    g = np.array([0.5, -2.0, 3.0])
    s0, lr, lr_decay, eps, steps = 0.3, 0.1, 0.05, 1e-3, 70
    theta, state_sum = reference(np.zeros(3), [g] * steps, lr=lr, lr_decay=lr_decay,
                                 initial_accumulator_value=s0, eps=eps)
    want = -sum(lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s0 + t * g * g) + eps)
                for t in range(1, steps + 1))
    np.testing.assert_allclose(state_sum, s0 + steps * g * g, rtol=1e-14)
    np.testing.assert_allclose(theta, want, rtol=1e-12)


OPTIONS = [
    {},
    dict(lr=0.1, lr_decay=0.05),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(initial_accumulator_value=0.5),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(lr_decay=0.2, lr_schedule=schedules.cosine_decay(0.1, 65)),
    dict(lr=0.05, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1,
         eps=1e-6, maximize=True, clip_value=2.0, clip_norm=3.0),
    dict(initial_accumulator_value=0.1, eps=1e-7, eps_in_sqrt=True),   # optax, Keras
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_adagrad_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.Adagrad, options, dtype, n)
    want, state_sum = reference(theta0, grads, **options)
    # float32: each step rounds theta (|theta| ~ 1) at 6e-8; 65 of them
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-4, 1e-5)
    np.testing.assert_allclose(x, want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(opt.state["sum"], state_sum, rtol=rtol, atol=atol)
    assert x.dtype == dtype and opt.state["sum"].dtype == dtype
    assert list(opt.state) == ["sum"] and opt.step_count == 65


def test_the_decayed_rate_is_computed_in_float64_as_pytorch_does():
    # one step from s0 = 0 with g = 1: theta moves by exactly float32(clr)
    # times float32(1 / (1 + eps)), clr = lr / (1 + (t - 1) lr_decay) in float64
    lr, lr_decay = 0.1, 0.7      # the rate rounded in float32 arithmetic differs
    x = np.zeros(1, dtype=np.float32)
    opt = adaopt.Adagrad(x, lr=lr, lr_decay=lr_decay, eps=0.0)
    opt.step(np.ones(1, dtype=np.float32))          # t = 1: clr = lr
    opt.step(np.zeros(1, dtype=np.float32))         # no move
    before = x.copy()
    opt.step(np.full(1, 3.0, dtype=np.float32))     # t = 3: s = 10
    clr = np.float32(lr / (1 + 2 * lr_decay))
    assert clr != np.float32(lr) / (1 + 2 * np.float32(lr_decay))
    step = np.float32(3.0) / np.sqrt(np.float32(10.0))
    assert x[0] == before[0] - clr * step


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.Adagrad)
    assert list(sig.parameters)[:6] == ["params", "lr", "lr_decay", "weight_decay",
                                         "initial_accumulator_value", "eps"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sig.parameters.values())[6:])
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 1e-2 and defaults["lr_decay"] == 0.0
    assert defaults["weight_decay"] == 0.0 and defaults["eps"] == 1e-10
    assert defaults["initial_accumulator_value"] == 0.0
    assert defaults["maximize"] is False
    x = np.ones(3)
    for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
        with pytest.raises(ValueError, match=name):
            adaopt.Adagrad(x, **{name: -1e-3})
        with pytest.raises(ValueError, match=name):
            adaopt.Adagrad(x, **{name: math.nan})
    with pytest.raises(TypeError, match="lr_decay"):
        adaopt.Adagrad(x, lr_decay="0.1")
    with pytest.raises(TypeError, match="maximize"):
        adaopt.Adagrad(x, maximize=1.5)
    with pytest.raises(TypeError, match="rho"):
        adaopt.Adagrad(x, rho=0.9)
    np.testing.assert_array_equal(x, 1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="adagrad",
                        options=dict(initial_accumulator_value=-1.0))


def test_a_bad_checkpoint_changes_nothing():
    x = np.ones(4)
    opt = adaopt.Adagrad(x, initial_accumulator_value=0.25)
    opt.step(np.full(4, 0.5))
    sd = opt.state_dict()
    before = opt.state_dict()
    for bad in (dict(sd, sum=-np.ones(4)), dict(sd, lr_decay=-1.0),
                dict(sd, sum=np.ones(3))):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])


def test_checkpoint_resumes_bitwise():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(5) for _ in range(20)]
    x = np.ones(5)
    options = dict(lr=0.05, lr_decay=0.1, initial_accumulator_value=0.2, clip_norm=1.5)
    opt = adaopt.Adagrad(x, **options)
    for g in grads[:10]:
        opt.step(g)
    sd, x_mid = opt.state_dict(), x.copy()
    for g in grads[10:]:
        opt.step(g)
    y = x_mid.copy()
    again = adaopt.Adagrad(y)
    again.load_state_dict(sd)
    for g in grads[10:]:
        again.step(g)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(again.state["sum"], opt.state["sum"])
    assert sd["optimizer"] == "Adagrad" and sd["step"] == 10
    assert sd["lr_decay"] == 0.1 and sd["initial_accumulator_value"] == 0.2


@pytest.mark.parametrize("method", ["adagrad", "Adagrad"])
def test_minimize_takes_adagrad_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    options = dict(lr=0.5, lr_decay=0.02, initial_accumulator_value=0.1)
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(options, maxiter=40, gtol=0.0,
                                       lr_schedule=None))   # the object's constant rate
    x = np.zeros(3)
    opt = adaopt.Adagrad(x, **options)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
