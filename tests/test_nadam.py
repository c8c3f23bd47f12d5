"""adaopt.NAdam against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.NAdam``'s
docstring (torch 2.x; Dozat 2016 with PyTorch's momentum schedule), in
float64, with the products of the schedule written out as the pseudo-code
has them (adaopt keeps a running product); it is itself checked against
the closed form of a constant gradient.  Every option alone and combined,
65 steps, float32 and float64, on both sides of the serial/parallel
threshold; a checkpoint resumes to the bit.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

from method_cases import assert_steps_match, reference_cases, resumed_run, run_steps


def mu(beta1, psi, t):
    """PyTorch's momentum schedule ``mu_t``."""
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi))


def product(beta1, psi, t):
    """``mu_1 mu_2 ... mu_t``, written out."""
    return math.prod(mu(beta1, psi, i) for i in range(1, t + 1))


def reference(theta0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False,
              clip_value=None, clip_norm=None, lr_schedule=None):
    """PyTorch's NAdam pseudo-code, with adaopt's clipping first, in float64."""
    theta = theta0.astype(np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if maximize:
            g = -g
        if clip_value is not None:
            g = np.clip(g, -clip_value, clip_value)
        if clip_norm is not None:
            norm = np.sqrt(np.sum(g * g))
            g = g * min(1.0, clip_norm / norm) if norm > 0 else g
        rate = lr if lr_schedule is None else lr_schedule(t)
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta = theta - rate * weight_decay * theta
            else:
                g = g + weight_decay * theta
        mu_t, mu_next = mu(b1, momentum_decay, t), mu(b1, momentum_decay, t + 1)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = (mu_next * m / (1 - product(b1, momentum_decay, t + 1))
                 + (1 - mu_t) * g / (1 - product(b1, momentum_decay, t)))
        v_hat = v / (1 - b2 ** t)
        theta = theta - rate * m_hat / (np.sqrt(v_hat) + eps)
    return theta, m, v


def _constant_gradient_closed_form(g, lr, betas, psi, steps):
    # eps = 0: m = g (1 - b1^t) and sqrt(v / (1 - b2^t)) = |g|, so step t
    # moves by -lr sign(g) (mu_{t+1} (1 - b1^t) / (1 - P_{t+1}) + (1 - mu_t) / (1 - P_t))
    b1 = betas[0]
    total = 0.0
    for t in range(1, steps + 1):
        total += (mu(b1, psi, t + 1) * (1 - b1 ** t) / (1 - product(b1, psi, t + 1))
                  + (1 - mu(b1, psi, t)) / (1 - product(b1, psi, t)))
    return -lr * total * np.sign(g)


def test_the_schedule_rises_from_half_of_beta1_towards_beta1():
    assert mu(0.9, 4e-3, 0) == 0.45
    assert [mu(0.9, 4e-3, t) < mu(0.9, 4e-3, t + 1) < 0.9 for t in (1, 100, 10000)] \
        == [True] * 3
    assert mu(0.9, 0.0, 50) == 0.45           # psi = 0: constant
    assert product(0.9, 0.0, 3) == pytest.approx(0.45 ** 3, rel=1e-15)


@pytest.mark.parametrize("betas, psi", [((0.9, 0.999), 4e-3), ((0.5, 0.9), 0.0),
                                        ((0.8, 0.99), 0.05)])
def test_reference_against_the_closed_form_of_a_constant_gradient(betas, psi):
    g = np.array([0.5, -2.0, 3.0])
    theta, m, v = reference(np.zeros(3), [g] * 40, lr=0.01, betas=betas, eps=0.0,
                            momentum_decay=psi)
    np.testing.assert_allclose(theta, _constant_gradient_closed_form(g, 0.01, betas, psi, 40),
                               rtol=1e-12)
    np.testing.assert_allclose(m, g * (1 - betas[0] ** 40), rtol=1e-12)
    np.testing.assert_allclose(v, g * g * (1 - betas[1] ** 40), rtol=1e-12)


def test_a_constant_gradient_follows_the_closed_form():
    g = np.array([0.5, -2.0, 3.0])
    x = np.zeros(3)
    opt = adaopt.NAdam(x, lr=0.01, eps=0.0)
    for t in range(1, 41):
        opt.step(g)
        np.testing.assert_allclose(
            x, _constant_gradient_closed_form(g, 0.01, (0.9, 0.999), 4e-3, t), rtol=1e-12)


OPTIONS = [
    {},
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(momentum_decay=0.0),
    dict(momentum_decay=0.1),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(lr_schedule=schedules.cosine_decay(0.01, 65)),
    dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.05, momentum_decay=0.01,
         maximize=True, clip_value=2.0, clip_norm=3.0),
    dict(lr=0.02, weight_decay=0.05, decoupled_weight_decay=True, maximize=True,
         clip_value=2.0, clip_norm=3.0, lr_schedule=schedules.linear_warmup(0.02, 10)),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_nadam_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.NAdam, options, dtype, n)
    want, m, v = reference(theta0, grads, **options)
    assert_steps_match(theta0, x, opt, dtype, want, {"exp_avg": m, "exp_avg_sq": v})


def test_nonfinite_gradients_leave_the_elements_and_their_state():
    x = np.ones(3)
    opt = adaopt.NAdam(x, nonfinite="skip")
    opt.step(np.array([1.0, math.nan, -math.inf]))
    assert x[0] < 1.0 and list(x[1:]) == [1.0, 1.0]
    for name in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(opt.state[name][1:], 0.0)
    y = np.ones(2)
    with pytest.raises(adaopt.NonFiniteUpdateError):
        adaopt.NAdam(y).step(np.array([math.nan, 1.0]))
    assert y[0] == 1.0 and y[1] < 1.0       # the others took the step
    w = np.ones(2)
    opt = adaopt.NAdam(w, nonfinite="propagate")
    opt.step(np.array([math.nan, 1.0]))
    assert math.isnan(w[0]) and math.isnan(opt.state["exp_avg"][0])
    assert math.isfinite(w[1])


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.NAdam)
    assert list(sig.parameters)[:7] == ["params", "lr", "betas", "eps", "weight_decay",
                                        "momentum_decay", "decoupled_weight_decay"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sig.parameters.values())[7:])
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 2e-3 and defaults["betas"] == (0.9, 0.999)
    assert defaults["eps"] == 1e-8 and defaults["weight_decay"] == 0.0
    assert defaults["momentum_decay"] == 4e-3
    assert defaults["decoupled_weight_decay"] is False and defaults["maximize"] is False
    x = np.ones(3)
    for bad, word in ((dict(lr=-1e-3), "lr"), (dict(lr=math.nan), "lr"),
                      (dict(betas=(1.0, 0.9)), r"betas\[0\]"),
                      (dict(betas=(0.9, -0.1)), r"betas\[1\]"),
                      (dict(eps=-1.0), "eps"), (dict(weight_decay=-0.1), "weight_decay"),
                      (dict(momentum_decay=-1e-3), "momentum_decay"),
                      (dict(momentum_decay=math.nan), "momentum_decay"),
                      (dict(clip_norm=0.0), "clip_norm")):
        with pytest.raises(ValueError, match=word):
            adaopt.NAdam(x, **bad)
    with pytest.raises(TypeError, match="decoupled_weight_decay"):
        adaopt.NAdam(x, decoupled_weight_decay=2)
    with pytest.raises(TypeError, match="amsgrad"):
        adaopt.NAdam(x, amsgrad=True)
    np.testing.assert_array_equal(x, 1.0)
    with pytest.raises(ValueError, match="momentum_decay"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="nadam",
                        options=dict(momentum_decay=-1.0))
    np.testing.assert_array_equal(x, 1.0)


def optax_nadam(theta0, grads, lr, betas=(0.9, 0.999), eps=1e-8):
    """optax's ``nadam`` (``scale_by_adam(..., nesterov=True)``, eps_root 0),
    written in NumPy from its source: Adam with a Nesterov first moment."""
    theta = theta0.astype(np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return theta


def test_an_infinite_momentum_decay_is_optaxs_nadam():
    rng = np.random.default_rng(3)
    theta0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) * 3 for _ in range(40)]
    x = theta0.copy()
    opt = adaopt.NAdam(x, lr=0.01, betas=(0.8, 0.99), momentum_decay=math.inf)
    for g in grads:
        opt.step(g)
    np.testing.assert_allclose(x, optax_nadam(theta0, grads, 0.01, (0.8, 0.99)),
                               rtol=1e-12)
    # and not the default schedule's
    assert np.abs(x - reference(theta0, grads, lr=0.01, betas=(0.8, 0.99))[0]).max() > 1e-4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_checkpoint_resumes_bitwise(dtype):
    # the schedule's running product is not in the checkpoint: the restored
    # optimizer rebuilds it from the step count, with the same roundings
    sd = resumed_run(adaopt.NAdam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01,
                                        momentum_decay=0.05, decoupled_weight_decay=True,
                                        clip_norm=1.5), split=17, steps=30, dtype=dtype)
    assert sd["momentum_decay"] == 0.05 and sd["decoupled_weight_decay"] is True


@pytest.mark.parametrize("method", ["nadam", "NAdam"])
def test_minimize_takes_nadam_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    options = dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01, momentum_decay=0.01)
    # a constant rate (minimize's default policy, the bold driver, moves it)
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(options, maxiter=40, gtol=0.0, lr_schedule=None))
    x = np.zeros(3)
    opt = adaopt.NAdam(x, **options)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
