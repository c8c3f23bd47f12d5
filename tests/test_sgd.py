"""adaopt.SGD against a NumPy reference of PyTorch's documented algorithm.

The reference is written from the pseudo-code of ``torch.optim.SGD``'s
docstring (torch 2.x), in float64; it is itself checked against the closed
forms of a constant gradient.  Every option alone and combined, 65 steps,
float32 and float64, on both sides of the serial/parallel threshold.
``lr_in_momentum=True`` is held to the bit to a second reference, written
from Keras 3's ``SGD.update_step``.
"""

import inspect
import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules
from adaopt._problem import METHODS, no_policy_options

from method_cases import reference_cases, resumed_run, run_steps


def reference(theta0, grads, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
              nesterov=False, maximize=False, clip_value=None, clip_norm=None,
              nonfinite="raise"):
    """PyTorch's SGD pseudo-code, with adaopt's clipping first, in float64.

    Returns ``theta`` and the momentum buffer (None without momentum)."""
    theta = theta0.astype(np.float64)
    b = None
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
        if momentum != 0:
            if t > 1:
                b = momentum * b + (1 - dampening) * g
            else:
                b = g
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        theta = theta - lr * g
    return theta, b


def test_reference_against_the_closed_forms_of_a_constant_gradient():
    g = np.array([0.5, -2.0, 3.0])
    theta, b = reference(np.zeros(3), [g] * 70, lr=0.01)
    np.testing.assert_allclose(theta, -70 * 0.01 * g, rtol=1e-12)
    assert b is None
    # dampening 0: b_t = g (1 - mu^t) / (1 - mu), theta_t = -lr sum_s b_s
    mu = 0.9
    theta, b = reference(np.zeros(3), [g] * 70, lr=0.01, momentum=mu)
    np.testing.assert_allclose(b, g * (1 - mu ** 70) / (1 - mu), rtol=1e-12)
    total = sum((1 - mu ** s) / (1 - mu) for s in range(1, 71))
    np.testing.assert_allclose(theta, -0.01 * g * total, rtol=1e-12)


OPTIONS = [
    {},
    dict(lr=0.01, momentum=0.9),
    dict(momentum=0.5, dampening=0.3),
    dict(momentum=0.9, nesterov=True),
    dict(weight_decay=0.1),
    dict(maximize=True),
    dict(clip_value=0.5),
    dict(clip_norm=1.0),
    dict(momentum=0.8, dampening=-0.5, weight_decay=0.05, maximize=True, clip_value=2.0,
         clip_norm=3.0, lr=0.02),
    dict(momentum=0.9, nesterov=True, weight_decay=0.05, clip_value=2.0, clip_norm=3.0,
         lr=0.02),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(OPTIONS)))
def test_sgd_matches_the_reference_for_65_steps(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.SGD, options, dtype, n)
    want, b = reference(theta0, grads, **options)
    # float32: each step rounds theta and b; the buffer grows to ~g / (1 - mu)
    rtol, atol = (1e-12, 1e-13) if dtype == np.float64 else (2e-4, 1e-4)
    np.testing.assert_allclose(x, want, rtol=rtol, atol=atol)
    assert x.dtype == dtype
    if options.get("momentum"):
        assert list(opt.state) == ["momentum_buffer"]
        np.testing.assert_allclose(opt.state["momentum_buffer"], b, rtol=rtol,
                                   atol=atol * 10)
    else:
        assert opt.state == {}


def keras_reference(theta0, grads, dtype, lr=1e-3, momentum=0.0, nesterov=False,
                    lr_schedule=None):
    """Keras 3's ``SGD.update_step``, in the parameters' dtype (to which Keras
    casts the rate and the momentum), with step ``t``'s rate ``lr_schedule(t)``.

    Returns ``theta`` and Keras' velocity ``m`` (None without momentum)."""
    var = theta0.astype(dtype)
    mu = dtype(momentum)
    m = np.zeros_like(var) if momentum != 0 else None
    for t, g in enumerate(grads, start=1):
        rate = dtype(lr if lr_schedule is None else lr_schedule(t))
        g = g.astype(dtype)
        if m is None:
            var = var - g * rate
            continue
        m = m * mu - g * rate
        var = var + (m * mu - g * rate) if nesterov else var + m
    return var, m


def test_keras_reference_is_pytorchs_for_a_constant_rate():
    # the same update to rounding: Keras' velocity is -lr times PyTorch's buffer
    rng = np.random.default_rng(3)
    theta0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(40)]
    for options in (dict(lr=0.01), dict(lr=0.01, momentum=0.9),
                    dict(lr=0.01, momentum=0.9, nesterov=True)):
        theta, m = keras_reference(theta0, grads, np.float64, **options)
        want, b = reference(theta0, grads, **options)
        np.testing.assert_allclose(theta, want, rtol=1e-13, atol=1e-14)
        if b is not None:
            np.testing.assert_allclose(-m, 0.01 * b, rtol=1e-12, atol=1e-15)
    _, m = keras_reference(theta0, grads[:1], np.float64, lr=0.01, momentum=0.9)
    np.testing.assert_array_equal(m, -(0.01 * grads[0]))          # m_1 = -lr g_1


KERAS_OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    # the rate drops tenfold at step 21: where Keras' and PyTorch's forms part
    dict(momentum=0.9, lr_schedule=schedules.step_decay(0.02, 20, gamma=0.1)),
    dict(momentum=0.8, nesterov=True, lr_schedule=schedules.cosine_decay(0.02, 65)),
]


@pytest.mark.parametrize("options, dtype, n", list(reference_cases(KERAS_OPTIONS)))
def test_lr_in_momentum_is_keras_sgd_to_the_bit(options, dtype, n):
    theta0, grads, x, opt = run_steps(adaopt.SGD, dict(options, lr_in_momentum=True),
                                      dtype, n)
    want, m = keras_reference(theta0, grads, dtype, **options)
    np.testing.assert_array_equal(x, want)
    assert x.dtype == dtype
    if m is None:
        assert opt.state == {}
    else:
        # adaopt's buffer is -m: Keras' velocity negated, exactly
        np.testing.assert_array_equal(opt.state["momentum_buffer"], -m)
    assert np.abs(x - theta0).max() > 1e-2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lr_in_momentum_parts_from_pytorch_only_under_a_schedule(dtype):
    def run(**options):
        return run_steps(adaopt.SGD, options, dtype, 37)[2]

    drop = schedules.step_decay(0.02, 20, gamma=0.1)
    # with momentum: the same update to rounding at a constant rate ...
    tol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(run(lr=0.01, momentum=0.9, lr_in_momentum=True),
                               run(lr=0.01, momentum=0.9), rtol=tol, atol=tol)
    # ... not under a schedule: Keras' buffer keeps the velocity of the old rate
    apart = np.abs(run(momentum=0.9, lr_schedule=drop, lr_in_momentum=True)
                   - run(momentum=0.9, lr_schedule=drop))
    assert apart.max() > 1e-2
    # without momentum the flag changes no bit, every option on
    for options in (dict(lr=0.01), dict(lr_schedule=drop, weight_decay=0.1, maximize=True,
                                        clip_value=2.0, clip_norm=3.0)):
        assert run(lr_in_momentum=True, **options).tobytes() == run(**options).tobytes()


def test_lr_in_momentum_resumes_bitwise_from_its_checkpoint():
    sd = resumed_run(adaopt.SGD, dict(lr=0.05, momentum=0.9, nesterov=True,
                                      lr_in_momentum=True))
    assert sd["lr_in_momentum"] is True


def test_step_one_starts_the_buffer_at_g_and_minimize_agrees():
    # dampening only from step 2 on: a difference between b_1 = g and
    # (1 - dampening) g shows at once; minimize takes the same steps as the
    # object (its compiled driver and sgd_njit: tests/test_differential.py)
    g0 = np.array([1.0, -2.0, 4.0])
    c = np.array([0.5, 0.25, -1.0])
    x = np.zeros(3)
    opt = adaopt.SGD(x, lr=0.1, momentum=0.9, dampening=0.5)
    opt.step(g0)
    np.testing.assert_array_equal(opt.state["momentum_buffer"], g0)
    np.testing.assert_array_equal(x, -0.1 * g0)

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    x = np.zeros(3)
    opt = adaopt.SGD(x, lr=0.1, momentum=0.9, dampening=0.5)
    for _ in range(25):
        opt.step(fg(x)[1])
    res = adaopt.minimize(fg, np.zeros(3), jac=True, method="sgd",
                          options=dict(lr=0.1, momentum=0.9, dampening=0.5, maxiter=25,
                                       gtol=0.0, lr_schedule=None))   # the object's rate
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 25


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_nonfinite_gradient_element_keeps_its_value_and_buffer(momentum):
    x = np.ones(3)
    opt = adaopt.SGD(x, lr=0.1, momentum=momentum, weight_decay=0.1, nonfinite="skip")
    opt.step(np.array([1.0, 1.0, 1.0]))
    x1, state1 = x.copy(), {k: v.copy() for k, v in opt.state.items()}
    opt.step(np.array([np.nan, 2.0, np.inf]))
    assert x[0] == x1[0] and x[2] == x1[2] and x[1] != x1[1]
    for name, row in opt.state.items():
        assert row[0] == state1[name][0] and row[2] == state1[name][2]
    with pytest.raises(adaopt.NonFiniteUpdateError):
        adaopt.SGD(x, momentum=momentum).step(np.array([1.0, np.nan, 1.0]))


def test_pytorch_signature_defaults_and_errors():
    sig = inspect.signature(adaopt.SGD)
    assert list(sig.parameters)[:6] == ["params", "lr", "momentum", "dampening",
                                         "weight_decay", "nesterov"]
    assert sig.parameters["maximize"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["lr_in_momentum"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["lr_in_momentum"].default is False
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "params"}
    assert defaults["lr"] == 1e-3 and defaults["momentum"] == 0.0
    assert defaults["dampening"] == 0.0 and defaults["weight_decay"] == 0.0
    assert defaults["nesterov"] is False and defaults["maximize"] is False
    x = np.ones(3)
    for bad, word in ((dict(lr=-1.0), "lr"), (dict(momentum=-0.1), "momentum"),
                      (dict(weight_decay=-0.1), "weight_decay"),
                      (dict(dampening=math.inf), "dampening"),
                      (dict(dampening=math.nan), "dampening"),
                      (dict(nesterov=True), "Nesterov momentum requires a momentum"),
                      (dict(nesterov=True, momentum=0.9, dampening=0.1),
                       "zero dampening"),
                      (dict(lr_in_momentum=True, momentum=0.9, dampening=0.1),
                       "lr_in_momentum .* takes no dampening, got dampening=0.1"),
                      (dict(lr_in_momentum=True, dampening=-0.5), "no dampening"),
                      (dict(clip_norm=0.0), "clip_norm")):
        with pytest.raises(ValueError, match=word):
            adaopt.SGD(x, **bad)
    for bad, word in ((dict(momentum="0.9"), "momentum"), (dict(nesterov=1), "nesterov"),
                      (dict(dampening=True), "dampening"),
                      (dict(lr_in_momentum=1), "lr_in_momentum")):
        with pytest.raises(TypeError, match=word):
            adaopt.SGD(x, **bad)
    with pytest.raises(ValueError, match="Nesterov"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="sgd",
                        options=dict(nesterov=True, momentum=0.0))
    with pytest.raises(ValueError, match="no dampening"):
        adaopt.minimize(lambda x: (float(x @ x), 2 * x), x, jac=True, method="sgd",
                        options=dict(momentum=0.9, dampening=0.5, lr_in_momentum=True))
    np.testing.assert_array_equal(x, np.ones(3))   # nothing changed


def test_a_bad_load_changes_nothing():
    x = np.ones(4)
    opt = adaopt.SGD(x, lr=0.1, momentum=0.9)
    opt.step(np.full(4, 2.0))
    sd = opt.state_dict()
    before = (x.copy(), opt.state["momentum_buffer"].copy(), opt.step_count)
    for bad in (dict(sd, nesterov=True, dampening=0.5),
                dict(sd, lr_in_momentum=True, dampening=0.5),
                {k: v for k, v in sd.items() if k != "momentum_buffer"},
                dict(sd, momentum=0.0)):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(opt.state["momentum_buffer"], before[1])
    assert opt.step_count == before[2]


def test_checkpoint_resumes_bitwise():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(5) for _ in range(20)]
    x = np.ones(5)
    opt = adaopt.SGD(x, lr=0.05, momentum=0.9, dampening=0.2)
    for g in grads[:10]:
        opt.step(g)
    sd, x_mid = opt.state_dict(), x.copy()
    for g in grads[10:]:
        opt.step(g)
    y = x_mid.copy()
    again = adaopt.SGD(y)
    again.load_state_dict(sd)
    for g in grads[10:]:
        again.step(g)
    np.testing.assert_array_equal(y, x)
    assert sd["momentum"] == 0.9 and sd["optimizer"] == "SGD" and sd["step"] == 10


@pytest.mark.parametrize("method", ["sgd", "SGD"])
def test_minimize_takes_sgd_by_name_and_matches_the_object(method):
    c = np.array([1.0, -2.0, 0.5])

    def fg(x):
        return float(((x - c) ** 2).sum()), 2 * (x - c)

    res = adaopt.minimize(fg, np.zeros(3), jac=True, method=method,
                          options=dict(lr=0.05, maxiter=40, gtol=0.0,
                                       **no_policy_options(METHODS["sgd"])))  # the object's run
    x = np.zeros(3)
    opt = adaopt.SGD(x, lr=0.05)
    for _ in range(40):
        opt.step(fg(x)[1])
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == 40 and res.status == 1 and math.isfinite(res.fun)


def test_njit_entry_compiles_only_the_flavour_an_omitted_momentum_leaves():
    from numba import types

    from adaopt._njit_entry import possible_flavours
    from adaopt._problem import METHODS
    sgd = METHODS["sgd"]
    assert sgd.flavours == ((False,), (True,))
    assert possible_flavours(sgd, (types.Omitted(0.0),)) == (0,)
    assert possible_flavours(sgd, (types.float64,)) == (0, 1)
