"""adaopt.Adadelta against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.Adadelta``'s
docstring (torch 2.x; Zeiler 2012), in float64; it is itself checked against
the closed forms of a constant gradient.  Every option alone and combined,
65 steps, float32 and float64, on both sides of the serial/parallel
threshold.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

from method_cases import assert_steps_match, reference_cases, resumed_run, run_steps


def reference(theta0, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
              maximize=False, clip_value=None, clip_norm=None, lr_schedule=None):
    """PyTorch's Adadelta pseudo-code, with adaopt's clipping first, in float64."""
    theta = theta0.astype(np.float64)
    v = np.zeros_like(theta)
    u = np.zeros_like(theta)
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
        v = v * rho + g * g * (1 - rho)
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = u * rho + delta * delta * (1 - rho)
        theta = theta - rate * delta
    return theta, v, u


def test_reference_against_the_closed_forms_of_a_constant_gradient():
    g = np.array([0.5, -2.0, 3.0])
    # v_t = g^2 (1 - rho^t); the first step is sqrt(eps) / sqrt(v_1 + eps) g
    rho, eps = 0.8, 1e-4
    theta, v, _ = reference(np.zeros(3), [g] * 70, rho=rho, eps=eps)
    np.testing.assert_allclose(v, g * g * (1 - rho ** 70), rtol=1e-12)
    theta, _, u = reference(np.zeros(3), [g], lr=0.5, rho=rho, eps=eps)
    first = np.sqrt(eps) / np.sqrt((1 - rho) * g * g + eps) * g
    np.testing.assert_allclose(theta, -0.5 * first, rtol=1e-12)
    np.testing.assert_allclose(u, (1 - rho) * first * first, rtol=1e-12)
    # rho = 1: both averages stay 0, so every step is exactly lr g
    theta, v, u = reference(np.zeros(3), [g] * 70, lr=0.01, rho=1.0)
    np.testing.assert_allclose(theta, -70 * 0.01 * g, rtol=1e-12)
    assert not v.any() and not u.any()


def test_rho_one_moves_every_step_by_lr_g():
    # the closed form through the optimizer itself (PyTorch's closed range)
    g = np.array([0.5, -2.0, 3.0])
    x = np.zeros(3)
    opt = adaopt.Adadelta(x, lr=0.01, rho=1.0)
    for _ in range(70):
        opt.step(g)
    np.testing.assert_allclose(x, -70 * 0.01 * g, rtol=1e-12)
    np.testing.assert_array_equal(opt.state["acc_delta"], 0.0)


OPTIONS = [
    {},
    dict(lr=0.5, rho=0.5),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(lr_schedule=schedules.cosine_decay(2.0, 65)),
    dict(lr=0.7, rho=0.95, eps=1e-4, weight_decay=0.05, maximize=True,
         clip_value=2.0, clip_norm=3.0),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_adadelta_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.Adadelta, options, dtype, n)
    want, v, u = reference(theta0, grads, **options)
    assert_steps_match(theta0, x, opt, dtype, want, {"square_avg": v, "acc_delta": u})


def test_nonfinite_gradients_leave_the_elements_and_their_state():
    x = np.ones(3)
    opt = adaopt.Adadelta(x, nonfinite="skip")
    opt.step(np.array([1.0, math.nan, -math.inf]))
    assert x[0] < 1.0 and list(x[1:]) == [1.0, 1.0]
    for name in ("square_avg", "acc_delta"):
        np.testing.assert_array_equal(opt.state[name][1:], 0.0)
    y = np.ones(2)
    with pytest.raises(adaopt.NonFiniteUpdateError):
        adaopt.Adadelta(y).step(np.array([math.nan, 1.0]))
    assert y[0] == 1.0 and y[1] < 1.0       # the others took the step
    # eps = 0 at a zero gradient: 0 / sqrt(0) is NaN in PyTorch too; skipped
    z = np.ones(2)
    opt = adaopt.Adadelta(z, eps=0.0, nonfinite="skip")
    opt.step(np.array([0.0, 1.0]))
    assert z[0] == 1.0 and opt.state["square_avg"][0] == 0.0
    # 'propagate' writes them
    w = np.ones(2)
    opt = adaopt.Adadelta(w, nonfinite="propagate")
    opt.step(np.array([math.nan, 1.0]))
    assert math.isnan(w[0]) and math.isnan(opt.state["acc_delta"][0])
    assert math.isfinite(w[1])


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.Adadelta)
    assert list(sig.parameters)[:5] == ["params", "lr", "rho", "eps", "weight_decay"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sig.parameters.values())[5:])
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 1.0 and defaults["rho"] == 0.9
    assert defaults["eps"] == 1e-6 and defaults["weight_decay"] == 0.0
    assert defaults["maximize"] is False
    x = np.ones(3)
    opt = adaopt.Adadelta(x, rho=1.0)            # PyTorch's range is closed
    assert opt.hyperparameters["rho"] == 1.0
    for bad, word in ((dict(lr=-1e-3), "lr"), (dict(lr=math.nan), "lr"),
                      (dict(rho=1.5), "rho"), (dict(rho=-0.1), "rho"),
                      (dict(rho=math.nan), "rho"),
                      (dict(eps=-1.0), "eps"), (dict(weight_decay=-0.1), "weight_decay"),
                      (dict(clip_value=0.0), "clip_value"),
                      (dict(clip_norm=0.0), "clip_norm")):
        with pytest.raises(ValueError, match=word):
            adaopt.Adadelta(x, **bad)
    with pytest.raises(TypeError, match="rho"):
        adaopt.Adadelta(x, rho="0.9")
    with pytest.raises(TypeError, match="maximize"):
        adaopt.Adadelta(x, maximize=1.5)
    with pytest.raises(TypeError, match="betas"):
        adaopt.Adadelta(x, betas=(0.9, 0.999))
    with pytest.raises(ValueError, match="nonfinite"):
        adaopt.Adadelta(x, nonfinite="ignore")
    np.testing.assert_array_equal(x, 1.0)
    with pytest.raises(ValueError, match="rho"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="adadelta",
                        options=dict(rho=1.5))
    np.testing.assert_array_equal(x, 1.0)


def test_a_bad_checkpoint_changes_nothing():
    x = np.ones(4)
    opt = adaopt.Adadelta(x)
    opt.step(np.full(4, 0.5))
    sd = opt.state_dict()
    before = opt.state_dict()
    for bad in (dict(sd, acc_delta=-np.ones(4)), dict(sd, square_avg=-np.ones(4)),
                dict(sd, rho=1.5), dict(sd, acc_delta=np.ones(3))):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])


def test_checkpoint_resumes_bitwise():
    sd = resumed_run(adaopt.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.01, clip_norm=1.5))
    assert sd["rho"] == 0.8 and sd["clip_norm"] == 1.5


@pytest.mark.parametrize("method", ["adadelta", "Adadelta"])
def test_minimize_takes_adadelta_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    options = dict(lr=0.5, rho=0.8, weight_decay=0.01)
    # a constant rate (minimize's default policy, the bold driver, moves it)
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(options, maxiter=40, gtol=0.0, lr_schedule=None))
    x = np.zeros(3)
    opt = adaopt.Adadelta(x, **options)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
