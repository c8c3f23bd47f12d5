"""Bad input to every public entry point: a clear error or a documented status.

Table-driven.  Each bad call must raise the listed Python exception with a
message naming what was wrong, never a Numba error, and must leave the
caller's arrays (``params``, its optimizer state, ``x0``) bit for bit as
they were.  Hypothesis then fuzzes hyperparameters and inputs.
"""

import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba.core.errors import NumbaError

import adaopt


def quad(x):
    return float(np.sum(x * x))


def quad_grad(x):
    return 2 * x


def assert_clean_error(excinfo, expected, words):
    err = excinfo.value
    assert type(err) is expected or isinstance(err, expected), repr(err)
    assert not isinstance(err, NumbaError), repr(err)
    message = str(err)
    for word in words:
        assert word in message, (word, message)


# -- RMSprop(...) ---------------------------------------------------------------

def _read_only():
    a = np.ones(4)
    a.flags.writeable = False
    return a


def _unaligned(n, dtype):
    """n ones of ``dtype`` at an odd byte offset (np.frombuffer): unaligned."""
    itemsize = np.dtype(dtype).itemsize
    out = np.frombuffer(bytearray(n * itemsize + 1), dtype=dtype, count=n, offset=1)
    out[:] = 1
    return out


CONSTRUCTOR = [
    # (id, params factory, kwargs, exception, words in the message)
    ("list", lambda: [1.0, 2.0], {}, TypeError, ["params", "list"]),
    # a PyTorch habit: a list of parameter arrays -> pointed to ParamLayout
    ("list of arrays", lambda: [np.ones((2, 3)), np.ones((2, 3))], {}, TypeError,
     ["params", "list", "adaopt.ParamLayout"]),
    ("int", lambda: np.arange(4), {}, TypeError, ["params", "int64"]),
    ("float16", lambda: np.ones(4, np.float16), {}, TypeError, ["params", "float16"]),
    ("complex", lambda: np.ones(4, complex), {}, TypeError, ["params", "complex128"]),
    ("2-D", lambda: np.ones((2, 2)), {}, ValueError, ["params", "(2, 2)", "ParamLayout"]),
    ("empty", lambda: np.ones(0), {}, ValueError, ["params", "empty"]),
    ("strided", lambda: np.ones(8)[::2], {}, ValueError, ["params", "contiguous"]),
    ("read-only", _read_only, {}, ValueError, ["params", "writeable"]),
    ("big-endian", lambda: np.ones(4, np.dtype(np.float64).newbyteorder("S")), {}, TypeError, ["params", "byte order"]),
    ("unaligned", lambda: _unaligned(4, np.float64), {}, ValueError,
     ["params", "aligned"]),
    ("lr<0", lambda: np.ones(4), dict(lr=-1), ValueError, ["lr", "-1"]),
    ("lr nan", lambda: np.ones(4), dict(lr=math.nan), ValueError, ["lr", "NaN"]),
    ("lr inf", lambda: np.ones(4), dict(lr=math.inf), ValueError, ["lr", "inf"]),
    ("lr str", lambda: np.ones(4), dict(lr="0.1"), TypeError, ["lr", "'0.1'"]),
    ("lr bool", lambda: np.ones(4), dict(lr=True), TypeError, ["lr", "True"]),
    ("rho=1", lambda: np.ones(4), dict(rho=1.0), ValueError, ["rho", "1.0"]),
    ("rho<0", lambda: np.ones(4), dict(rho=-0.1), ValueError, ["rho", "-0.1"]),
    ("eps<0", lambda: np.ones(4), dict(eps=-1e-8), ValueError, ["eps", "-1e-08"]),
    ("momentum<0", lambda: np.ones(4), dict(momentum=-0.5), ValueError, ["momentum"]),
    ("nesterov alone", lambda: np.ones(4), dict(nesterov=True), ValueError,
     ["nesterov", "momentum"]),
    ("centered str", lambda: np.ones(4), dict(centered="yes"), TypeError,
     ["centered", "'yes'"]),
    ("weight_decay<0", lambda: np.ones(4), dict(weight_decay=-1), ValueError,
     ["weight_decay"]),
    ("clip_value=0", lambda: np.ones(4), dict(clip_value=0), ValueError, ["clip_value"]),
    ("clip_norm<0", lambda: np.ones(4), dict(clip_norm=-1), ValueError, ["clip_norm"]),
    ("initial_scale nan", lambda: np.ones(4), dict(initial_scale=math.nan), ValueError,
     ["initial_scale"]),
    ("nonfinite", lambda: np.ones(4), dict(nonfinite="ignore"), ValueError,
     ["nonfinite", "'ignore'"]),
    ("schedule", lambda: np.ones(4), dict(lr_schedule=3), TypeError, ["lr_schedule"]),
    ("unknown", lambda: np.ones(4), dict(alpha=0.99), TypeError, ["alpha"]),
]


@pytest.mark.parametrize("make, kwargs, exc, words",
                         [c[1:] for c in CONSTRUCTOR], ids=[c[0] for c in CONSTRUCTOR])
def test_rmsprop_rejects_bad_construction(make, kwargs, exc, words):
    params = make()
    before = np.array(params, copy=True)
    with pytest.raises(exc) as excinfo:
        adaopt.RMSprop(params, **kwargs)
    assert_clean_error(excinfo, exc, words)
    np.testing.assert_array_equal(np.asarray(params), before)


# -- RMSprop.step(grad) ---------------------------------------------------------

def _shared(opt):
    return opt.params[:]   # a view of params itself


STEP = [
    ("list", lambda opt: [1.0] * 4, {}, TypeError, ["grad", "list"]),
    ("other float dtype", lambda opt: np.ones(4, np.float32 if opt.params.dtype == np.float64
                                               else np.float64), {}, TypeError,
     ["grad", "dtype of params"]),
    ("int", lambda opt: np.ones(4, int), {}, TypeError, ["grad", "int64"]),
    ("short", lambda opt: np.ones(3, opt.params.dtype), {}, ValueError, ["grad", "(3,)", "(4,)"]),
    ("2-D", lambda opt: np.ones((1, 4), opt.params.dtype), {}, ValueError, ["grad", "(1, 4)"]),
    ("strided", lambda opt: np.ones(8, opt.params.dtype)[::2], {}, ValueError, ["grad", "contiguous"]),
    ("aliases params", _shared, {}, ValueError, ["grad", "share memory"]),
    ("big-endian", lambda opt: np.ones(4, opt.params.dtype.newbyteorder("S")), {},
     TypeError, ["grad", "byte order"]),
    ("unaligned", lambda opt: _unaligned(4, opt.params.dtype), {}, ValueError,
     ["grad", "aligned"]),
    ("schedule nan", lambda opt: np.ones(4, opt.params.dtype), dict(lr_schedule=lambda t: math.nan),
     ValueError, ["lr_schedule", "NaN"]),
    ("schedule negative", lambda opt: np.ones(4, opt.params.dtype), dict(lr_schedule=lambda t: -1.0),
     ValueError, ["lr_schedule", "-1.0"]),
    ("schedule str", lambda opt: np.ones(4, opt.params.dtype), dict(lr_schedule=lambda t: "0.1"),
     TypeError, ["lr_schedule", "'0.1'"]),
    ("schedule raises", lambda opt: np.ones(4, opt.params.dtype), dict(lr_schedule=lambda t: 1 / 0),
     ZeroDivisionError, []),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make, kwargs, exc, words",
                         [c[1:] for c in STEP], ids=[c[0] for c in STEP])
def test_step_rejects_bad_grad_and_changes_nothing(make, kwargs, exc, words, dtype):
    params = np.linspace(-1, 1, 4).astype(dtype)
    opt = adaopt.RMSprop(params, lr=0.1, centered=True, momentum=0.5, **kwargs)
    if "lr_schedule" not in kwargs:
        opt.step(np.full(4, 0.5, dtype))      # some state to lose
    before = opt.state_dict()
    x_before = params.copy()
    grad = make(opt)
    with pytest.raises(exc) as excinfo:
        opt.step(grad)
    assert_clean_error(excinfo, exc, words)
    np.testing.assert_array_equal(params, x_before)
    after = opt.state_dict()
    assert after["step"] == before["step"]
    for name in ("square_avg", "grad_avg", "momentum_buffer"):
        np.testing.assert_array_equal(after[name], before[name])


def test_load_state_dict_rejects_bad_checkpoints_and_changes_nothing():
    params = np.ones(4)
    opt = adaopt.RMSprop(params, lr=0.1, momentum=0.9)
    opt.step(np.full(4, 0.5))
    good = opt.state_dict()
    bad = [
        (dict(good, optimizer="Adam"), ValueError, "Adam"),
        (dict(good, step=-1), ValueError, "step"),
        (dict(good, step=1.5), ValueError, "step"),
        (dict(good, square_avg=np.ones(3)), ValueError, "square_avg"),
        (dict(good, square_avg=np.ones(4, np.float32)), ValueError, "square_avg"),
        (dict(good, rho=2.0), ValueError, "rho"),
        (dict(good, lr=math.nan), ValueError, "lr"),
        ({k: v for k, v in good.items() if k != "momentum_buffer"}, ValueError,
         "momentum_buffer"),
        (dict(good, extra=1), ValueError, "extra"),
    ]
    for sd, exc, word in bad:
        with pytest.raises(exc) as excinfo:
            opt.load_state_dict(sd)
        assert_clean_error(excinfo, exc, [word])
        now = opt.state_dict()
        assert now["step"] == good["step"]
        np.testing.assert_array_equal(now["square_avg"], good["square_avg"])
        np.testing.assert_array_equal(now["momentum_buffer"], good["momentum_buffer"])


# -- minimize / scipy.optimize.minimize(method=adaopt.rmsprop) ---------------------

def _x0():
    return np.array([1.0, 2.0])


def call_minimize(front, fun, x0, **kwargs):
    if front == "adaopt.minimize":
        return adaopt.minimize(fun, x0, **kwargs)
    kwargs.setdefault("jac", None)
    return scipy.optimize.minimize(fun, x0, method=adaopt.rmsprop, **kwargs)


MINIMIZE_RAISES = [
    # (id, fun, x0 factory, kwargs, exception, words)
    ("x0 2-D", quad, lambda: np.ones((2, 2)), dict(jac=quad_grad), ValueError, ["x0", "1-D"]),
    ("x0 nan", quad, lambda: np.array([math.nan, 1.0]), dict(jac=quad_grad), ValueError,
     ["x0", "finite"]),
    ("x0 str", quad, lambda: np.array(["a", "b"]), dict(jac=quad_grad), TypeError,
     ["x0", "<U1"]),
    ("x0 complex", quad, lambda: np.ones(2, complex), dict(jac=quad_grad), TypeError,
     ["x0", "complex128"]),
    ("x0 empty", quad, lambda: np.ones(0), dict(jac=quad_grad), ValueError, ["x0", "empty"]),
    ("fun raises", lambda x: 1 / 0, _x0, dict(jac=quad_grad), ZeroDivisionError, []),
    ("fun returns str", lambda x: "a", _x0, dict(jac=quad_grad), ValueError,
     ["objective", "'a'"]),
    ("fun returns vector", lambda x: x, _x0, dict(jac=quad_grad), ValueError,
     ["objective", "scalar"]),
    ("fun returns None", lambda x: None, _x0, dict(jac=quad_grad), ValueError,
     ["objective", "None"]),
    ("jac wrong length", quad, _x0, dict(jac=lambda x: np.ones(3)), ValueError,
     ["jac", "(2,)", "(3,)"]),
    ("jac scalar", quad, _x0, dict(jac=lambda x: 1.0), ValueError, ["jac", "()"]),
    ("jac str", quad, _x0, dict(jac=lambda x: "ab"), TypeError, ["jac", "<U2"]),
    ("jac=True, fun scalar", quad, _x0, dict(jac=True), TypeError, ["jac=True", "pair"]),
    ("jac raises", quad, _x0, dict(jac=lambda x: 1 / 0), ZeroDivisionError, []),
    ("callback raises", quad, _x0, dict(jac=quad_grad, callback=lambda xk: 1 / 0),
     ZeroDivisionError, []),
    ("lr<0", quad, _x0, dict(jac=quad_grad, options=dict(lr=-1)), ValueError, ["lr"]),
    ("rho=1", quad, _x0, dict(jac=quad_grad, options=dict(rho=1.0)), ValueError, ["rho"]),
    ("maxiter<0", quad, _x0, dict(jac=quad_grad, options=dict(maxiter=-1)), ValueError,
     ["maxiter"]),
    ("maxiter '1.5'", quad, _x0, dict(jac=quad_grad, options=dict(maxiter="1.5")), TypeError,
     ["maxiter"]),
    ("gtol<0", quad, _x0, dict(jac=quad_grad, options=dict(gtol=-1)), ValueError, ["gtol"]),
    ("bounds lo>hi", quad, _x0, dict(jac=quad_grad, bounds=[(1, 0), (0, 1)]), ValueError,
     ["bound"]),
    ("bounds short", quad, _x0, dict(jac=quad_grad, bounds=[(0, 1)]), ValueError,
     ["bounds"]),
    ("bounds nan", quad, _x0, dict(jac=quad_grad, bounds=[(math.nan, 1), (0, 1)]),
     ValueError, ["bounds", "NaN"]),
]


@pytest.mark.parametrize("front", ["adaopt.minimize", "scipy method"])
@pytest.mark.parametrize("fun, make_x0, kwargs, exc, words",
                         [c[1:] for c in MINIMIZE_RAISES],
                         ids=[c[0] for c in MINIMIZE_RAISES])
def test_minimize_rejects_bad_input_and_keeps_x0(front, fun, make_x0, kwargs, exc, words):
    x0 = make_x0()
    before = x0.copy()
    with pytest.raises(Exception) as excinfo:
        call_minimize(front, fun, x0, **kwargs)
    # scipy.optimize.minimize vets x0 and unpacks jac=True itself, before
    # adaopt.rmsprop sees them: the message is scipy's there
    scipy_first = words[:1] in (["x0"], ["jac=True"])
    if front == "adaopt.minimize" or not scipy_first:
        assert_clean_error(excinfo, exc, words)
    else:
        assert isinstance(excinfo.value, (TypeError, ValueError))
        assert not isinstance(excinfo.value, NumbaError)
    np.testing.assert_array_equal(x0, before)


def test_adaopt_only_arguments():
    x0 = _x0()
    for kwargs, exc, words in [
        (dict(method="bfgs"), ValueError, ["method", "'rmsprop'", "'bfgs'"]),
        (dict(jac="4-point"), ValueError, ["jac", "'4-point'"]),
        (dict(callback=3), TypeError, ["callback", "3"]),
    ]:
        with pytest.raises(exc) as excinfo:
            adaopt.minimize(quad, x0, **kwargs)
        assert_clean_error(excinfo, exc, words)
    with pytest.raises(TypeError) as excinfo:
        adaopt.minimize(3, x0)
    assert_clean_error(excinfo, TypeError, ["fun"])
    np.testing.assert_array_equal(x0, _x0())


@pytest.mark.parametrize("bad", ["fun", "jac"])
def test_nonfinite_objective_is_a_status_with_the_last_finite_iterate(bad):
    # documented: status 3, x is the last iterate where f and g were finite
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        return math.nan if bad == "fun" and calls["n"] > 3 else quad(x)

    def jac(x):
        g = quad_grad(x)
        return np.array([math.inf, 1.0]) if bad == "jac" and calls["n"] > 3 else g

    x0 = _x0()
    res = adaopt.minimize(fun, x0, jac=jac, options=dict(lr=0.1))
    assert res.status == 3 and not res.success
    ref = adaopt.minimize(quad, x0, jac=quad_grad, options=dict(lr=0.1, maxiter=res.nit))
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun
    np.testing.assert_array_equal(x0, _x0())


def test_unknown_option_warns_and_is_ignored():
    with pytest.warns(scipy.optimize.OptimizeWarning, match="foo"):
        res = adaopt.minimize(quad, _x0(), jac=quad_grad, options=dict(foo=1, maxiter=2))
    ref = adaopt.minimize(quad, _x0(), jac=quad_grad, options=dict(maxiter=2))
    np.testing.assert_array_equal(res.x, ref.x)


def test_gradient_of_other_dtype_or_layout_is_converted():
    # documented leniency: a list, integers, float32 for float64 or a strided
    # gradient of the right length is converted, like scipy's own solvers do
    ref = adaopt.minimize(quad, _x0(), jac=lambda x: 2.0 * x, options=dict(maxiter=3))
    for jac in (lambda x: list(2.0 * x), lambda x: np.repeat(2.0 * x, 2)[::2]):
        res = adaopt.minimize(quad, _x0(), jac=jac, options=dict(maxiter=3))
        np.testing.assert_array_equal(res.x, ref.x)


# -- hypothesis ----------------------------------------------------------------

REALS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                  st.integers(-3, 3), st.sampled_from([None, True, "1", 1e-300]))
HYPER = st.fixed_dictionaries({}, optional={
    "lr": REALS, "rho": REALS, "eps": REALS, "momentum": REALS,
    "weight_decay": REALS, "initial_scale": REALS, "clip_value": REALS,
    "clip_norm": REALS, "centered": st.booleans(), "nesterov": st.booleans(),
    "bias_correction": st.booleans(), "eps_in_sqrt": st.booleans(),
    "maximize": st.booleans(), "decoupled_weight_decay": st.booleans(),
    "nonfinite": st.sampled_from(["raise", "skip", "propagate", "other"]),
})
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(hyper=HYPER, dtype=st.sampled_from([np.float32, np.float64]),
       x=st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=6),
       grads=st.lists(st.lists(FLOATS, min_size=6, max_size=6), min_size=1, max_size=4))
def test_fuzz_rmsprop(hyper, dtype, x, grads):
    """Any hyperparameters and gradients: a clean error, or steps that keep
    the non-finite promise (``raise``/``skip`` never write a non-finite
    value into params; ``propagate`` changes only what the kernel computed).
    """
    params = np.array(x, dtype=dtype)
    start = params.copy()
    try:
        opt = adaopt.RMSprop(params, **hyper)
    except (TypeError, ValueError) as err:
        assert not isinstance(err, NumbaError)
        np.testing.assert_array_equal(params, start)
        return
    mode = opt.hyperparameters["nonfinite"]
    for g in grads:
        grad = np.array(g[:params.size], dtype=dtype)
        before = params.copy()
        try:
            opt.step(grad)
        except adaopt.NonFiniteUpdateError:
            assert mode == "raise"
        if mode != "propagate":
            # elements that were finite stay finite; a non-finite gradient
            # element never moves its parameter
            assert np.all(np.isfinite(params[np.isfinite(before)]))
            bad = ~np.isfinite(grad)
            np.testing.assert_array_equal(params[bad], before[bad])


@settings(max_examples=60, deadline=None)
@given(x0=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4),
       lr=st.floats(0, 10), maxiter=st.integers(0, 20),
       dtype=st.sampled_from([np.float32, np.float64]),
       options=st.fixed_dictionaries({}, optional={
           "centered": st.booleans(), "momentum": st.floats(0, 0.99),
           "clip_norm": st.floats(1e-3, 1e3), "bias_correction": st.booleans()}))
def test_fuzz_minimize(x0, lr, maxiter, dtype, options):
    """Any start and step size: a result whose x is finite and whose fun is
    f(x), or the non-finite status with the last finite iterate."""
    x0 = np.array(x0, dtype=dtype)
    before = x0.copy()
    res = adaopt.minimize(quad, x0, jac=quad_grad,
                          options=dict(options, lr=lr, maxiter=maxiter))
    np.testing.assert_array_equal(x0, before)
    assert res.x.dtype == dtype
    assert np.all(np.isfinite(res.x))
    assert res.nit <= maxiter
    if math.isfinite(res.fun):
        assert res.fun == quad(res.x)
    else:
        assert res.status == 3
