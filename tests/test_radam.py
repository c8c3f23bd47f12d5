"""adaopt.RAdam against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.RAdam``'s
docstring (torch 2.x; Liu et al. 2020, algorithm 2), in float64, with the
rectification per element as the pseudo-code has it (adaopt folds it into
the step's rate), and with optax's options (``eps_hat=False``, ``eps_root``,
``threshold``) from ``optax.scale_by_radam`` (optax 0.2.8); it is itself
checked against the closed form of a constant gradient.  Every option alone
and combined, 65 steps (the first five unrectified with the default betas),
float32 and float64, on both sides of the serial/parallel threshold.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

from method_cases import assert_steps_match, reference_cases, resumed_run, run_steps


def sma_length(beta2, t):
    """``(rho_inf, rho_t)``: the lengths of the approximated simple moving average."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf, rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)


def rectification(beta2, t):
    """``r_t`` of Liu et al. (2020), eq. (4), for a step with ``rho_t > 5``."""
    rho_inf, rho_t = sma_length(beta2, t)
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def reference(theta0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              decoupled_weight_decay=False, maximize=False, clip_value=None,
              clip_norm=None, lr_schedule=None, eps_root=0.0, eps_hat=True,
              threshold=5.0):
    """PyTorch's RAdam pseudo-code, with adaopt's clipping first, in float64;
    ``eps_hat=False``, ``eps_root`` and ``threshold`` as optax's
    ``scale_by_radam`` has them (but rectified at ``rho_t > threshold``)."""
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
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        if sma_length(b2, t)[1] > threshold and eps_hat:
            # PyTorch's: eps on the raw root (eps_root under it, as optax's)
            bc2 = 1 - b2 ** t
            adaptive = math.sqrt(bc2) / (np.sqrt(v + eps_root * bc2) + eps)
            theta = theta - rate * m_hat * rectification(b2, t) * adaptive
        elif sma_length(b2, t)[1] > threshold:
            # optax's: r mu_hat / (sqrt(nu_hat + eps_root) + eps)
            nu_hat = v / (1 - b2 ** t)
            update = rectification(b2, t) * m_hat / (np.sqrt(nu_hat + eps_root) + eps)
            theta = theta - rate * update
        else:
            theta = theta - rate * m_hat
    return theta, m, v


def test_default_betas_rectify_from_step_six():
    # the warm-up of the paper: rho_t <= 5 for t <= 5 when beta2 = 0.999
    assert [sma_length(0.999, t)[1] > 5 for t in range(1, 8)] == [False] * 5 + [True] * 2
    assert sma_length(0.5, 1)[1] == 1.0 and sma_length(0.999, 1)[1] == pytest.approx(1.0)
    # beta2 <= 2/3: rho_inf <= 5, never rectified
    assert all(sma_length(0.6, t)[1] <= 5 for t in range(1, 200))


def _constant_gradient_closed_form(g, lr, beta2, steps, threshold=5.0):
    # eps = 0: m_hat = g and sqrt(v / (1 - b2^t)) = |g|, so a step moves by
    # lr g unrectified and by lr r_t sign(g) rectified
    total = np.zeros_like(g)
    for t in range(1, steps + 1):
        rectified = sma_length(beta2, t)[1] > threshold
        total += rectification(beta2, t) * np.sign(g) if rectified else g
    return -lr * total


def test_reference_against_the_closed_form_of_a_constant_gradient():
    g = np.array([0.5, -2.0, 3.0])
    for betas in ((0.8, 0.99), (0.5, 0.6)):
        theta, m, v = reference(np.zeros(3), [g] * 70, lr=0.01, betas=betas, eps=0.0)
        want = _constant_gradient_closed_form(g, 0.01, betas[1], 70)
        np.testing.assert_allclose(theta, want, rtol=1e-12)
        np.testing.assert_allclose(v, g * g * (1 - betas[1] ** 70), rtol=1e-12)


def test_a_constant_gradient_follows_the_closed_form():
    # through the optimizer itself, across the switch at step 6
    g = np.array([0.5, -2.0, 3.0])
    x = np.zeros(3)
    opt = adaopt.RAdam(x, lr=0.01, eps=0.0)
    for t in range(1, 71):
        opt.step(g)
        np.testing.assert_allclose(x, _constant_gradient_closed_form(g, 0.01, 0.999, t),
                                   rtol=1e-12)


def test_the_threshold_is_strict_where_optax_rectifies_at_equality():
    # threshold = rho_6 exactly (the float64 sum adaopt computes): step 6 is
    # not rectified here (PyTorch's >), where optax's >= would rectify it
    b2 = 0.999
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    b2t = math.pow(b2, 6.0)
    rho_6 = rho_inf - 2.0 * 6 * b2t / (1.0 - b2t)
    assert sma_length(b2, 6)[1] == rho_6 and 4.0 < rho_6
    g = np.array([0.5, -2.0, 3.0])
    x, y = np.zeros(3), np.zeros(3)
    opt = adaopt.RAdam(x, lr=0.01, eps=0.0, threshold=rho_6)
    default = adaopt.RAdam(y, lr=0.01, eps=0.0)
    for t in range(1, 9):
        opt.step(g)
        default.step(g)
        np.testing.assert_allclose(
            x, _constant_gradient_closed_form(g, 0.01, b2, t, threshold=rho_6), rtol=1e-12)
        assert np.array_equal(x, y) == (t < 6), t


def test_optax_placement_with_eps_zero_is_the_default_bitwise():
    # eps = 0: optax's eps slot, eps sqrt(1 - beta2**t), is 0 as PyTorch's
    # is; eps_root = 0 keeps the plain body: the same bits
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(5) for _ in range(12)]
    x, y = np.ones(5), np.ones(5)
    a = adaopt.RAdam(x, eps=0.0)
    b = adaopt.RAdam(y, eps=0.0, eps_hat=False, eps_root=0.0)
    for g in grads:
        a.step(g)
        b.step(g)
    np.testing.assert_array_equal(x, y)


OPTIONS = [
    {},
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(betas=(0.5, 0.6)),                    # rho_inf < 5: never rectified
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(lr_schedule=schedules.cosine_decay(0.01, 65)),
    dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.05, maximize=True,
         clip_value=2.0, clip_norm=3.0),
    dict(lr=0.02, weight_decay=0.05, decoupled_weight_decay=True, maximize=True,
         clip_value=2.0, clip_norm=3.0, lr_schedule=schedules.linear_warmup(0.02, 10)),
    # optax's placement of eps, eps_root and the threshold (large eps and
    # eps_root: their effect shows in float32 too)
    dict(lr=0.05, eps=0.3, eps_hat=False),
    dict(lr=0.05, eps=1e-4, eps_root=0.5, eps_hat=False),
    dict(lr=0.05, eps_root=0.5),               # under PyTorch's placement of eps
    dict(threshold=30.0, betas=(0.8, 0.99), lr=0.01),   # rectified from step 32
    dict(threshold=4.0, eps_root=1e-2),        # from step 5
    dict(threshold=1e4, eps_root=1e-2),        # above rho_inf: never rectified
    dict(lr=0.02, betas=(0.8, 0.99), eps=1e-3, eps_root=1e-4, eps_hat=False,
         threshold=4.5, weight_decay=0.05, decoupled_weight_decay=True, clip_norm=3.0),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_radam_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.RAdam, options, dtype, n)
    want, m, v = reference(theta0, grads, **options)
    assert_steps_match(theta0, x, opt, dtype, want, {"exp_avg": m, "exp_avg_sq": v})


def test_the_step_rate_is_computed_in_float64_and_rounded_once():
    # g = 1, eps = 0 at step 1 (unrectified): m = 1 - b1 exactly in float32, so
    # theta moves by float32(lr / (1 - b1)) * float32(1 - b1)
    lr, b1 = 0.1, 0.7
    x = np.zeros(1, dtype=np.float32)
    opt = adaopt.RAdam(x, lr=lr, betas=(b1, 0.999), eps=0.0)
    opt.step(np.ones(1, dtype=np.float32))
    rate = np.float32(lr / (1 - b1))
    assert rate != np.float32(lr) / (1 - np.float32(b1))
    assert x[0] == -(rate * (np.float32(1 - b1) / np.float32(1.0)))


def test_nonfinite_gradients_leave_the_elements_and_their_state():
    x = np.ones(3)
    opt = adaopt.RAdam(x, nonfinite="skip")
    opt.step(np.array([1.0, math.nan, -math.inf]))
    assert x[0] < 1.0 and list(x[1:]) == [1.0, 1.0]
    for name in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(opt.state[name][1:], 0.0)
    y = np.ones(2)
    with pytest.raises(adaopt.NonFiniteUpdateError):
        adaopt.RAdam(y).step(np.array([math.nan, 1.0]))
    assert y[0] == 1.0 and y[1] < 1.0       # the others took the step
    # an overflowing second moment is refused on an unrectified step too
    z = np.ones(2)
    opt = adaopt.RAdam(z, nonfinite="skip")
    opt.step(np.array([1e300, 1.0]))
    assert z[0] == 1.0 and opt.state["exp_avg_sq"][0] == 0.0
    w = np.ones(2)
    opt = adaopt.RAdam(w, nonfinite="propagate")
    opt.step(np.array([math.nan, 1.0]))
    assert math.isnan(w[0]) and math.isnan(opt.state["exp_avg"][0])
    assert math.isfinite(w[1])


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.RAdam)
    assert list(sig.parameters)[:6] == ["params", "lr", "betas", "eps", "weight_decay",
                                        "decoupled_weight_decay"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(sig.parameters.values())[6:])
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 1e-3 and defaults["betas"] == (0.9, 0.999)
    assert defaults["eps"] == 1e-8 and defaults["weight_decay"] == 0.0
    assert defaults["decoupled_weight_decay"] is False and defaults["maximize"] is False
    # PyTorch's RAdam: eps on the raw root (eps_hat), rectified above 5
    assert defaults["eps_root"] == 0.0 and defaults["eps_hat"] is True
    assert defaults["threshold"] == 5.0
    x = np.ones(3)
    for bad, word in ((dict(lr=-1e-3), "lr"), (dict(lr=math.nan), "lr"),
                      (dict(betas=(1.0, 0.9)), r"betas\[0\]"),
                      (dict(betas=(-0.1, 0.9)), r"betas\[0\]"),
                      (dict(betas=(0.9, 1.0)), r"betas\[1\]"),
                      (dict(betas=(0.9, -0.1)), r"betas\[1\]"),
                      (dict(eps=-1.0), "eps"), (dict(weight_decay=-0.1), "weight_decay"),
                      (dict(clip_norm=0.0), "clip_norm"),
                      (dict(eps_root=-1e-8), "eps_root"),
                      (dict(eps_root=math.inf), "eps_root"),
                      (dict(eps_root=math.nan), "eps_root"),
                      # at least 4 (below, r_t may be imaginary or infinite)
                      (dict(threshold=3.99), "threshold"),
                      (dict(threshold=-5.0), "threshold"),
                      (dict(threshold=math.inf), "threshold"),
                      (dict(threshold=math.nan), "threshold")):
        with pytest.raises(ValueError, match=word):
            adaopt.RAdam(x, **bad)
    with pytest.raises(TypeError, match="betas"):
        adaopt.RAdam(x, betas=0.9)
    with pytest.raises(TypeError, match="decoupled_weight_decay"):
        adaopt.RAdam(x, decoupled_weight_decay=2)
    with pytest.raises(TypeError, match="eps_hat"):
        adaopt.RAdam(x, eps_hat=2)
    with pytest.raises(TypeError, match="amsgrad"):
        adaopt.RAdam(x, amsgrad=True)
    np.testing.assert_array_equal(x, 1.0)
    for bad, word in ((dict(betas=(0.9, 1.5)), r"betas\[1\]"),
                      (dict(threshold=2.0), "threshold")):
        with pytest.raises(ValueError, match=word):
            adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="radam",
                            options=bad)
    np.testing.assert_array_equal(x, 1.0)


def test_a_bad_checkpoint_changes_nothing():
    x = np.ones(4)
    opt = adaopt.RAdam(x)
    opt.step(np.full(4, 0.5))
    sd = opt.state_dict()
    before = opt.state_dict()
    for bad in (dict(sd, exp_avg_sq=-np.ones(4)), dict(sd, betas=(0.9, 1.0)),
                dict(sd, exp_avg=np.ones(3))):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])


def test_checkpoint_resumes_bitwise_across_the_switch():
    # saved at step 3 (unrectified), resumed into the rectified steps: the
    # step count travels in the checkpoint, and with it rho_t (and optax's
    # options, the threshold among them)
    sd = resumed_run(adaopt.RAdam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01,
                                        decoupled_weight_decay=True, clip_norm=1.5), split=3)
    assert sd["betas"] == (0.8, 0.99) and sd["decoupled_weight_decay"] is True
    sd = resumed_run(adaopt.RAdam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3,
                                        eps_root=1e-3, eps_hat=False, threshold=4.5),
                     split=3)
    assert sd["eps_hat"] is False and sd["eps_root"] == 1e-3 and sd["threshold"] == 4.5


@pytest.mark.parametrize("method", ["radam", "RAdam"])
def test_minimize_takes_radam_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    options = dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01)
    # a constant rate (minimize's default policy, the bold driver, moves it)
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(options, maxiter=40, gtol=0.0, lr_schedule=None))
    x = np.zeros(3)
    opt = adaopt.RAdam(x, **options)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)
