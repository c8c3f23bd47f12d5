"""adaopt.Adam against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.Adam``'s
docstring (torch 2.x), in float64; it is itself checked against the closed
form of a constant gradient.  Every option alone and combined, 60+ steps,
float32 and float64, on both sides of the serial/parallel threshold.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt

from method_cases import reference_cases, run_steps


def reference(theta0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False, maximize=False, decoupled_weight_decay=False,
              clip_value=None, clip_norm=None, eps_root=0.0, eps_hat=False):
    """PyTorch's Adam pseudo-code, with adaopt's clipping first, in float64.

    ``eps_root`` as optax's ``scale_by_adam`` has it (under the root, with
    the bias-corrected ``v``); ``eps_hat`` as Keras 3's ``Adam.update_step``
    (``alpha = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``theta -= alpha m /
    (sqrt(v) + epsilon)``), both written from their sources.
    """
    theta = theta0.astype(np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    vmax = np.zeros_like(theta)
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
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax / (1 - b2 ** t)
        else:
            vhat = v / (1 - b2 ** t)
        if eps_hat:
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            theta = theta - alpha * m / (np.sqrt(vhat * (1 - b2 ** t)) + eps)
        else:
            theta = theta - lr * mhat / (np.sqrt(vhat + eps_root) + eps)
    return theta, m, v


def test_reference_against_the_closed_form_of_a_constant_gradient():
    # m_t = g (1 - b1^t), v_t = g^2 (1 - b2^t): every step is lr g / (|g| + eps)
    g = np.array([0.5, -2.0, 3.0])
    theta, m, v = reference(np.zeros(3), [g] * 70, lr=0.01, eps=1e-8)
    np.testing.assert_allclose(theta, -70 * 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(m, g * (1 - 0.9 ** 70), rtol=1e-12)
    np.testing.assert_allclose(v, g * g * (1 - 0.999 ** 70), rtol=1e-12)


OPTIONS = [
    {},
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(amsgrad=True),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(amsgrad=True, weight_decay=0.05, decoupled_weight_decay=True, clip_value=2.0,
         clip_norm=3.0, betas=(0.5, 0.9), lr=0.02),
    dict(eps_root=1e-4),                        # optax's eps_root
    dict(eps=1e-3, eps_hat=True),               # Keras' epsilon
    dict(eps_root=1e-3, eps=1e-4, amsgrad=True, weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS, 7)))
def test_adam_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.Adam, options, dtype, n)
    want, m, v = reference(theta0, grads, **options)
    # float32: each step rounds theta (|theta| ~ 1) at 6e-8; 65 of them
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-4, 1e-5)
    np.testing.assert_allclose(x, want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(opt.state["exp_avg"], m, rtol=rtol, atol=atol)
    np.testing.assert_allclose(opt.state["exp_avg_sq"], v, rtol=rtol, atol=atol)
    assert x.dtype == dtype
    assert ("max_exp_avg_sq" in opt.state) == options.get("amsgrad", False)


def test_eps_root_and_eps_hat_change_the_step_as_optax_and_keras_do():
    # the same gradients, three placements of eps: they differ where eps
    # matters (small v), and each matches its own reference
    rng = np.random.default_rng(5)
    theta0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) * 1e-2 for _ in range(20)]
    finals = []
    for options in ({}, dict(eps_root=1e-4), dict(eps_hat=True)):
        x = theta0.copy()
        opt = adaopt.Adam(x, lr=0.01, eps=1e-3, **options)
        for g in grads:
            opt.step(g)
        want = reference(theta0, grads, lr=0.01, eps=1e-3, **options)[0]
        np.testing.assert_allclose(x, want, rtol=1e-12)
        finals.append(x)
    assert np.abs(finals[0] - finals[1]).min() > 1e-6
    assert np.abs(finals[0] - finals[2]).min() > 1e-6


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.Adam)
    assert list(sig.parameters)[:6] == ["params", "lr", "betas", "eps", "weight_decay",
                                         "amsgrad"]
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 1e-3 and defaults["betas"] == (0.9, 0.999)
    assert defaults["eps"] == 1e-8 and defaults["weight_decay"] == 0.0
    assert defaults["amsgrad"] is False and defaults["maximize"] is False
    assert defaults["decoupled_weight_decay"] is False
    x = np.ones(3)
    for bad, word in ((dict(lr=-1.0), "lr"), (dict(betas=(1.0, 0.9)), r"betas\[0\]"),
                      (dict(betas=(0.9, -0.1)), r"betas\[1\]"), (dict(eps=-1.0), "eps"),
                      (dict(weight_decay=-0.1), "weight_decay")):
        with pytest.raises(ValueError, match=word):
            adaopt.Adam(x, **bad)
    with pytest.raises(TypeError, match="betas"):
        adaopt.Adam(x, betas=0.9)


def test_checkpoint_resumes_bitwise():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(5) for _ in range(20)]
    x = np.ones(5)
    opt = adaopt.Adam(x, lr=0.05, amsgrad=True)
    for g in grads[:10]:
        opt.step(g)
    sd, x_mid = opt.state_dict(), x.copy()
    for g in grads[10:]:
        opt.step(g)
    y = x_mid.copy()
    again = adaopt.Adam(y)
    again.load_state_dict(sd)
    for g in grads[10:]:
        again.step(g)
    np.testing.assert_array_equal(y, x)
    assert sd["betas"] == (0.9, 0.999) and sd["optimizer"] == "Adam"


@pytest.mark.parametrize("method", ["adam", "Adam", "ADAM"])
def test_minimize_takes_adam_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(lr=0.05, betas=(0.8, 0.99), maxiter=40, gtol=0.0,
                                       lr_schedule=None))   # the object's constant rate
    x = np.zeros(3)
    opt = adaopt.Adam(x, lr=0.05, betas=(0.8, 0.99))
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
