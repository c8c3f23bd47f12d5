"""adaopt.Adamax against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.Adamax``'s
docstring (torch 2.x; Kingma & Ba 2015, section 7.1), in float64; it is
itself checked against the closed form of a constant gradient.  Every option
alone and combined, 65 steps, float32 and float64, on both sides of the
serial/parallel threshold.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

from method_cases import assert_steps_match, reference_cases, resumed_run, run_steps


def reference(theta0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              maximize=False, clip_value=None, clip_norm=None, lr_schedule=None):
    """PyTorch's Adamax pseudo-code, with adaopt's clipping first, in float64."""
    theta = theta0.astype(np.float64)
    m = np.zeros_like(theta)
    u = np.zeros_like(theta)
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
        if weight_decay != 0:
            g = g + weight_decay * theta
        rate = lr if lr_schedule is None else lr_schedule(t)
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        theta = theta - rate * m / ((1 - b1 ** t) * u)
    return theta, m, u


def test_reference_against_the_closed_form_of_a_constant_gradient():
    # eps = 0: m_t = g (1 - b1^t), u_t = |g|: every step is exactly lr sign(g)
    g = np.array([0.5, -2.0, 3.0])
    lr, steps = 0.01, 70
    theta, m, u = reference(np.zeros(3), [g] * steps, lr=lr, betas=(0.8, 0.99), eps=0.0)
    np.testing.assert_allclose(theta, -steps * lr * np.sign(g), rtol=1e-12)
    np.testing.assert_allclose(m, g * (1 - 0.8 ** steps), rtol=1e-12)
    np.testing.assert_array_equal(u, np.abs(g))


def test_a_constant_gradient_moves_every_step_by_lr():
    # the closed form through the optimizer itself: theta - t lr sign(g)
    g = np.array([0.5, -2.0, 3.0])
    x = np.zeros(3)
    opt = adaopt.Adamax(x, lr=0.01, eps=0.0)
    for _ in range(70):
        opt.step(g)
    np.testing.assert_allclose(x, -70 * 0.01 * np.sign(g), rtol=1e-12)
    np.testing.assert_array_equal(opt.state["exp_inf"], np.abs(g))


OPTIONS = [
    {},
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(lr_schedule=schedules.cosine_decay(0.01, 65)),
    dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.05, maximize=True,
         clip_value=2.0, clip_norm=3.0),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_adamax_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.Adamax, options, dtype, n)
    want, m, u = reference(theta0, grads, **options)
    assert_steps_match(theta0, x, opt, dtype, want, {"exp_avg": m, "exp_inf": u})


def test_the_corrected_rate_is_computed_in_float64_as_pytorch_does():
    # g = 1, eps = 0: m / u = 1 - b1 exactly in float32 at step 1, so theta
    # moves by float32(clr) * float32(1 - b1), clr = lr / (1 - b1) in float64
    lr, b1 = 0.1, 0.7
    x = np.zeros(1, dtype=np.float32)
    opt = adaopt.Adamax(x, lr=lr, betas=(b1, 0.9), eps=0.0)
    opt.step(np.ones(1, dtype=np.float32))
    clr = np.float32(lr / (1 - b1))
    assert clr != np.float32(lr) / (1 - np.float32(b1))
    assert x[0] == -(clr * (np.float32(1 - b1) / np.float32(1.0)))


def test_nonfinite_gradients_leave_the_elements_and_their_state():
    x = np.ones(3)
    opt = adaopt.Adamax(x, nonfinite="skip")
    opt.step(np.array([1.0, math.nan, -math.inf]))
    assert x[0] < 1.0 and list(x[1:]) == [1.0, 1.0]
    np.testing.assert_array_equal(opt.state["exp_inf"][1:], 0.0)
    np.testing.assert_array_equal(opt.state["exp_avg"][1:], 0.0)
    y = np.ones(2)
    with pytest.raises(adaopt.NonFiniteUpdateError):
        adaopt.Adamax(y).step(np.array([math.nan, 1.0]))
    # 'propagate' writes them, and the maximum keeps the NaN (torch.maximum)
    z = np.ones(2)
    opt = adaopt.Adamax(z, nonfinite="propagate")
    opt.step(np.array([math.nan, 1.0]))
    assert math.isnan(z[0]) and math.isnan(opt.state["exp_inf"][0])
    opt.step(np.array([1.0, 1.0]))
    assert math.isnan(opt.state["exp_inf"][0]) and math.isfinite(z[1])


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.Adamax)
    assert list(sig.parameters)[:5] == ["params", "lr", "betas", "eps", "weight_decay"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sig.parameters.values())[5:])
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 2e-3 and defaults["betas"] == (0.9, 0.999)
    assert defaults["eps"] == 1e-8 and defaults["weight_decay"] == 0.0
    assert defaults["maximize"] is False
    x = np.ones(3)
    for bad, word in ((dict(lr=-1e-3), "lr"), (dict(lr=math.nan), "lr"),
                      (dict(betas=(1.0, 0.9)), r"betas\[0\]"),
                      (dict(betas=(-0.1, 0.9)), r"betas\[0\]"),
                      (dict(betas=(0.9, 1.0)), r"betas\[1\]"),
                      (dict(betas=(0.9, -0.1)), r"betas\[1\]"),
                      (dict(eps=-1.0), "eps"), (dict(weight_decay=-0.1), "weight_decay"),
                      (dict(clip_norm=0.0), "clip_norm")):
        with pytest.raises(ValueError, match=word):
            adaopt.Adamax(x, **bad)
    with pytest.raises(TypeError, match="betas"):
        adaopt.Adamax(x, betas=0.9)
    with pytest.raises(TypeError, match="maximize"):
        adaopt.Adamax(x, maximize=1.5)
    with pytest.raises(TypeError, match="amsgrad"):
        adaopt.Adamax(x, amsgrad=True)
    np.testing.assert_array_equal(x, 1.0)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="adamax",
                        options=dict(betas=(0.9, 1.5)))


def test_a_bad_checkpoint_changes_nothing():
    x = np.ones(4)
    opt = adaopt.Adamax(x)
    opt.step(np.full(4, 0.5))
    sd = opt.state_dict()
    before = opt.state_dict()
    for bad in (dict(sd, exp_inf=-np.ones(4)), dict(sd, betas=(0.9, 1.0)),
                dict(sd, exp_avg=np.ones(3))):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])


def test_checkpoint_resumes_bitwise():
    sd = resumed_run(adaopt.Adamax, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01,
                                         clip_norm=1.5))
    assert sd["betas"] == (0.8, 0.99) and sd["clip_norm"] == 1.5


@pytest.mark.parametrize("method", ["adamax", "Adamax"])
def test_minimize_takes_adamax_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    options = dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01)
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(options, maxiter=40, gtol=0.0,
                                       lr_schedule=None))   # the object's constant rate
    x = np.zeros(3)
    opt = adaopt.Adamax(x, **options)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
