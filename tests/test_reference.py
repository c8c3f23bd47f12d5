"""adaopt.RMSprop against the plain NumPy reference of DESIGN.md section 2.

Every option alone and in combination, float32 and float64, over 100+ steps,
on the serial and on the parallel kernel (float32's at the defaults only:
``method_cases.checks_parallel``), with non-finite gradients injected; and
the serial and parallel kernels bitwise identical.

The reference first checks itself against closed forms, so that the
comparison is not two copies of one mistake.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adaopt
from adaopt import _background_compile, kernels
from method_cases import checks_parallel
from reference import ReferenceRMSprop, assert_close

DTYPES = (np.float32, np.float64)
STEPS = 100

#: Sizes around the block lengths of the step loop and of the norm sum (the
#: serial/parallel choice is forced, so these run on both loops; the real
#: threshold has its own test below).
EDGE_SIZES = sorted({1, 2, 3, 17,
                     kernels.STEP_BLOCK - 1, kernels.STEP_BLOCK,
                     kernels.STEP_BLOCK + 1, 2 * kernels.STEP_BLOCK + 3,
                     kernels.NORM_BLOCK - 1, kernels.NORM_BLOCK,
                     kernels.NORM_BLOCK + 1})
#: Mostly small vectors (cheap, many rounding paths), sometimes a block edge.
SIZES = st.one_of(st.integers(1, 300), st.integers(1, 300), st.sampled_from(EDGE_SIZES))


# -- the reference checks itself against closed forms ---------------------------

def test_reference_first_step_closed_form():
    # v_1 = (1 - rho) g^2, so the first step moves by lr * g / (sqrt(0.1) |g| + eps)
    g = np.array([3.0, -0.5, 2e-3])
    ref = ReferenceRMSprop(np.zeros(3), lr=0.1, rho=0.9, eps=1e-8)
    ref.step(g)
    expected = -0.1 * g / (math.sqrt(0.1) * np.abs(g) + 1e-8)
    np.testing.assert_allclose(ref.theta, expected, rtol=1e-15)
    np.testing.assert_allclose(ref.v, 0.1 * g * g, rtol=1e-15)


def test_reference_momentum_centered_bias_closed_form():
    # Two steps with constant g: v = (1 - rho^t) g^2, m = (1 - rho^t) g, so with
    # bias correction v_hat = g^2 and m_hat = g: the centered variance is 0 and
    # u = g / eps_total.  Use eps inside the sqrt to keep u finite and known.
    g = np.array([2.0])
    ref = ReferenceRMSprop(np.zeros(1), lr=0.5, rho=0.5, eps=0.25, centered=True,
                           bias_correction=True, eps_in_sqrt=True, momentum=0.5)
    ref.step(g)
    u1 = 2.0 / math.sqrt(0.0 + 0.25)     # = 4; b_1 = 4
    ref.step(g)
    b2 = 0.5 * u1 + u1                   # = 6
    np.testing.assert_allclose(ref.b, [b2], rtol=1e-15)
    np.testing.assert_allclose(ref.theta, [-0.5 * u1 - 0.5 * b2], rtol=1e-15)
    np.testing.assert_allclose(ref.v, [0.75 * 4.0], rtol=1e-15)
    np.testing.assert_allclose(ref.m, [0.75 * 2.0], rtol=1e-15)


def test_reference_nesterov_decay_clip_closed_form():
    theta = np.array([1.0, -2.0])
    g = np.array([10.0, 0.0])
    ref = ReferenceRMSprop(theta, lr=0.1, rho=0.0, eps=0.0, momentum=0.5,
                           nesterov=True, weight_decay=0.2,
                           decoupled_weight_decay=True, clip_value=4.0,
                           clip_norm=2.0, maximize=True)
    with np.errstate(invalid="ignore"):          # 0 / 0 in element 2, on purpose
        ref.step(g)
    # maximize -> -10; clip_value -> -4; clip_norm: ||g|| = 4 -> scale 0.5 -> -2
    # rho = 0 -> v = g^2 = 4, u = -2 / 2 = -1; element 2: 0 / 0 = NaN -> kept
    # nesterov: b = -1, u = -1 + 0.5 * -1 = -1.5
    # decoupled: theta = 1 - 0.02 * 1 = 0.98, then - 0.1 * -1.5 = 1.13
    np.testing.assert_allclose(ref.theta, [1.13, -2.0], rtol=1e-15)
    np.testing.assert_array_equal(ref.v, [4.0, 0.0])


def test_reference_rounds_to_float32():
    g = np.array([3.0], dtype=np.float32)
    ref = ReferenceRMSprop(np.array([1.0], dtype=np.float32), lr=0.1, rho=0.9)
    ref.step(g)
    assert ref.theta.dtype == ref.v.dtype == np.float32
    one_minus_rho = np.float32(1.0 - 0.9)
    assert ref.v[0] == np.float32(one_minus_rho * np.float32(3.0) * np.float32(3.0))


# -- adaopt against the reference -----------------------------------------------

def _grad_source(seed, n, dtype, scale, coupling, dyadic):
    """Gradients ``scale * noise + coupling * theta`` from a seeded RNG.

    ``dyadic`` rounds them to a grid fine enough to keep 16 bits, on which
    every partial sum of squares of the float64 norm is exact: the global
    norm behind ``clip_norm`` then does not depend on the summation order
    (adaopt sums in blocks, the reference sums exactly).
    """
    rng = np.random.default_rng(seed)

    def grad(theta):
        g = scale * rng.standard_normal(n) + coupling * np.nan_to_num(theta)
        if dyadic:
            top = max(float(np.max(np.abs(g))), 1e-30)
            q = 2.0 ** (15 - math.ceil(math.log2(top)))
            g = np.round(g * q) / q
        return g.astype(dtype)
    return grad


def _inject(g, rng, dtype):
    """Put NaN, +-inf and an overflowing value at random places of ``g``."""
    g = g.copy()
    idx = rng.choice(g.size, size=min(4, g.size), replace=False)
    bad = np.array([np.nan, np.inf, -np.inf, np.finfo(dtype).max / 2], dtype=dtype)
    g[idx] = bad[:idx.size]
    return g


def run_against_reference(kernel_path, dtype, n, options, *, seed=0, steps=STEPS,
                          scale=1.0, coupling=0.0, inject_every=0, lr_schedule=None):
    """Run reference, serial adaopt and parallel adaopt side by side.

    Returns ``(reference, serial optimizer, parallel optimizer)`` after
    asserting, at every step, that both adaopt runs raise exactly when the
    reference skipped an element under ``nonfinite='raise'``.  The parallel
    optimizer is None where :func:`method_cases.checks_parallel` leaves the
    prange build out (float32 with options beyond ``lr``).
    """
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed + 1)
    theta0 = rng.standard_normal(n).astype(dtype)
    ref = ReferenceRMSprop(theta0, **options)
    opts = {}
    for path in (False, True) if checks_parallel(dtype, options) else (False,):
        x = theta0.copy()
        opts[path] = (x, adaopt.RMSprop(x, lr_schedule=lr_schedule, **options))
    grad = _grad_source(seed, n, dtype, scale, coupling,
                        dyadic=options.get("clip_norm") is not None)
    for t in range(1, steps + 1):
        g = grad(ref.theta)
        if inject_every and t % inject_every == 0:
            g = _inject(g, rng, dtype)
        lr = lr_schedule(t) if lr_schedule is not None else None
        with np.errstate(all="ignore"):
            kept = ref.step(g, lr=lr)
        for path, (x, opt) in opts.items():
            with kernel_path(path):
                if kept.any() and options.get("nonfinite", "raise") == "raise":
                    with pytest.raises(adaopt.NonFiniteUpdateError):
                        opt.step(g)
                else:
                    opt.step(g)
    return ref, opts[False][1], opts[True][1] if True in opts else None


def assert_matches(ref, opt, nulp=4):
    """params and every state array in use within ``nulp`` roundings."""
    arrays = ref.arrays()
    assert_close(opt.params, *arrays["params"], nulp, "params")
    for name, value in opt.state.items():
        assert_close(value, *arrays[name], nulp, name)
    assert opt.step_count == ref.t


def _same_bits(a, b, what):
    """Same bits, -0.0 included; NaN only where NaN, any sign or payload.

    x86 makes a fresh NaN (0 * inf, inf - inf) with the sign bit set in
    scalar code and SIMD alike, but which operand's NaN an operation passes
    on depends on operand order, which LLVM may swap when it vectorizes the
    two builds differently; a NaN's sign carries no meaning.
    """
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    np.testing.assert_array_equal(nan_a, nan_b, err_msg=what)
    assert a[~nan_a].tobytes() == b[~nan_b].tobytes(), what


def assert_bitwise_equal(a, b):
    """Same bits in params and every state array (``b`` None: the prange
    build not run, see :func:`run_against_reference`)."""
    if b is None:
        return
    _same_bits(a.params, b.params, "params")
    sa, sb = a.state, b.state
    assert sa.keys() == sb.keys()
    for name in sa:
        _same_bits(sa[name], sb[name], name)
    assert a.step_count == b.step_count


SINGLE_OPTIONS = [
    {},
    {"centered": True},
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"weight_decay": 0.05},
    {"weight_decay": 0.05, "decoupled_weight_decay": True},
    {"maximize": True},
    {"eps_in_sqrt": True},
    {"bias_correction": True},
    {"initial_scale": 1.0},
    {"clip_value": 0.5},
    {"clip_norm": 1.0},
    {"rho": 0.0},
    {"rho": 0.999},
    {"eps": 0.0},
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("option", SINGLE_OPTIONS, ids=lambda o: repr(o)[1:-1] or "plain")
def test_each_option_alone_matches_reference(kernel_path, dtype, option):
    ref, serial, parallel = run_against_reference(
        kernel_path, dtype, 300, dict(lr=0.01, **option), coupling=0.5)
    assert_matches(ref, serial)
    assert_bitwise_equal(serial, parallel)


def test_everything_at_once_matches_reference(kernel_path):
    option = dict(lr=0.003, rho=0.95, eps=1e-6, momentum=0.8, nesterov=True,
                  centered=True, weight_decay=0.01, maximize=True,
                  eps_in_sqrt=True, bias_correction=True, initial_scale=0.1,
                  clip_value=2.0, clip_norm=5.0, nonfinite="skip")
    for dtype in DTYPES:
        ref, serial, parallel = run_against_reference(
            kernel_path, dtype, 1000, option, coupling=-0.3, inject_every=7)
        assert_matches(ref, serial)
        assert_bitwise_equal(serial, parallel)


@st.composite
def rmsprop_options(draw):
    o = {"lr": draw(st.floats(1e-4, 0.1)),
         "rho": draw(st.sampled_from([0.0, 0.5, 0.9, 0.99]) | st.floats(0.0, 0.999)),
         "eps": draw(st.sampled_from([1e-8, 1e-6, 1e-3, 0.1]))}
    momentum = draw(st.sampled_from([0.0, 0.0, 0.5, 0.9]))
    if momentum:
        o["momentum"] = momentum
        o["nesterov"] = draw(st.booleans())
    for flag in ("centered", "maximize", "eps_in_sqrt", "bias_correction"):
        o[flag] = draw(st.booleans())
    wd = draw(st.sampled_from([0.0, 0.0, 1e-3, 0.1]))
    if wd:
        o["weight_decay"] = wd
        o["decoupled_weight_decay"] = draw(st.booleans())
    o["initial_scale"] = draw(st.sampled_from([0.0, 0.0, 1e-3, 1.0]))
    # dyadic clip values, so that clipped squares sum exactly (see _grad_source)
    o["clip_value"] = draw(st.none() | st.sampled_from([0.125, 0.5, 1.0, 3.0]))
    o["clip_norm"] = draw(st.none() | st.floats(0.01, 100.0))
    o["nonfinite"] = draw(st.sampled_from(["raise", "skip", "propagate"]))
    return o


@settings(max_examples=35, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(dtype=st.sampled_from(DTYPES),
       n=SIZES,
       options=rmsprop_options(),
       seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1e-3, 1.0, 1e3, 1e-20, 1e20]),
       coupling=st.sampled_from([0.0, 1.0, -0.5]),
       inject=st.booleans())
def test_combinations_match_reference(kernel_path, dtype, n, options, seed, scale,
                                      coupling, inject):
    ref, serial, parallel = run_against_reference(
        kernel_path, dtype, n, options, seed=seed, scale=scale, coupling=coupling,
        inject_every=11 if inject else 0)
    assert_matches(ref, serial)
    assert_bitwise_equal(serial, parallel)


def test_default_threshold_picks_serial_below_parallel_from(monkeypatch):
    """At the real threshold (no forcing) both sides match the reference.

    Background compilation off, so that the first step at the threshold
    takes the parallel build rather than the serial one while the parallel
    one compiles; the defaults, whose float32 prange build the cases above
    compile anyway.
    """
    monkeypatch.setattr(_background_compile, "enabled", False)
    for n in (kernels.PARALLEL_THRESHOLD - 1, kernels.PARALLEL_THRESHOLD):
        assert kernels.use_parallel(n) == (n >= kernels.PARALLEL_THRESHOLD)
        dtype = np.dtype(np.float32)
        theta0 = np.linspace(-1, 1, n, dtype=dtype)
        x = theta0.copy()
        opt = adaopt.RMSprop(x, lr=0.01)
        ref = ReferenceRMSprop(theta0, lr=0.01)
        g = np.cos(np.arange(n) * 0.1).astype(dtype)   # dyadic-free but float32
        for _ in range(STEPS):
            opt.step(g)
            ref.step(g)
        assert_matches(ref, opt)


def test_schedule_lr_reaches_kernel(kernel_path):
    sched = adaopt.schedules.linear_warmup(
        adaopt.schedules.cosine_decay(0.05, decay_steps=80), warmup_steps=20)
    for dtype in DTYPES:
        ref, serial, parallel = run_against_reference(
            kernel_path, dtype, 257, dict(momentum=0.5, weight_decay=0.1,
                                          decoupled_weight_decay=True),
            lr_schedule=sched)
        assert_matches(ref, serial)
        assert_bitwise_equal(serial, parallel)


# -- the global norm behind clip_norm -------------------------------------------

@settings(max_examples=30, deadline=None)
@given(n=st.sampled_from(EDGE_SIZES) | st.integers(1, 3 * kernels.NORM_BLOCK + 7),
       seed=st.integers(0, 2**32 - 1),
       clip=st.none() | st.floats(1e-3, 10.0),
       dtype=st.sampled_from(DTYPES))
def test_masked_sumsq_is_accurate_and_order_independent(n, seed, clip, dtype):
    rng = np.random.default_rng(seed)
    g = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)).astype(dtype)
    nbad = min(n // 3, 5)
    g[rng.choice(n, nbad, replace=False)] = np.nan
    c = math.inf if clip is None else clip
    serial = kernels.masked_sumsq(g, c, parallel=False)
    parallel = kernels.masked_sumsq(g, c, parallel=True)
    assert serial == parallel            # same bits: fixed blocks, fixed order
    total, counted = serial
    assert counted == nbad
    finite = g[np.isfinite(g)].astype(np.float64)
    clipped = np.clip(finite, -c, c)
    exact = math.fsum(clipped * clipped)
    # blocked recursive summation: error <= (block + number of blocks) eps sum
    bound = (kernels.NORM_BLOCK + n // kernels.NORM_BLOCK + 2) \
        * np.finfo(np.float64).eps * exact
    assert abs(total - exact) <= bound


def test_clip_norm_float64_on_arbitrary_gradients(kernel_path):
    """float64 gradients with inexact squares: the norm's summation order may
    differ from the exact reference by a rounding, so the comparison allows
    a few more roundings than the dyadic runs above (which agree bit for bit
    today)."""
    dtype = np.float64
    n = 2 * kernels.NORM_BLOCK + 5
    rng = np.random.default_rng(7)
    theta0 = rng.standard_normal(n)
    opts = dict(lr=0.01, clip_norm=3.0, momentum=0.5)
    x = theta0.copy()
    opt = adaopt.RMSprop(x, **opts)
    ref = ReferenceRMSprop(theta0, **opts)
    for _ in range(STEPS):
        g = rng.standard_normal(n).astype(dtype) * 0.37
        with kernel_path(False):     # the loop does not matter here, the sum does
            opt.step(g)
        ref.step(g)
    assert_matches(ref, opt, nulp=8)


def test_clip_norm_survives_squares_that_overflow():
    """float64 gradients near 1e200: their squares overflow, their norm does
    not; clipping must still rescale them to the norm c (not to 0)."""
    g = np.array([1e200, -1e200, 3e199, np.inf])
    x = np.zeros(4)
    opt = adaopt.RMSprop(x, lr=0.1, eps=0.0, clip_norm=1.0, nonfinite="skip")
    ref = ReferenceRMSprop(x, lr=0.1, eps=0.0, clip_norm=1.0, nonfinite="skip")
    opt.step(g)
    with np.errstate(invalid="ignore"):
        ref.step(g)
    # first step: every element moves by lr g / sqrt(0.1 g^2) = lr sqrt(10)
    np.testing.assert_allclose(x[:3], -0.1 * math.sqrt(10) * np.sign(g[:3]), rtol=1e-12)
    assert x[3] == 0.0
    norm = math.sqrt(2 + 0.09) * 1e200
    np.testing.assert_allclose(opt.state["square_avg"][:3], 0.1 * (g[:3] / norm) ** 2,
                               rtol=1e-14)
    assert_close(x, ref.theta, np.zeros(4), nulp=4, what="params")


@pytest.mark.parametrize("dtype", DTYPES)
def test_centered_variance_is_clamped_where_rounding_makes_it_negative(dtype):
    """A constant gradient with bias correction gives v_hat = g^2 = m_hat^2
    exactly in real arithmetic; rounded, v_hat - m_hat^2 is as often slightly
    negative.  With eps inside the sqrt and smaller than that rounding, an
    unclamped variance gives sqrt(negative) = NaN (PyTorch and optax do);
    the clamp of step 5 gives s = 0 and a finite step everywhere."""
    n = 2000
    g = np.random.default_rng(4).uniform(0.5, 2.0, n).astype(dtype)
    options = dict(lr=1e-6, rho=0.5, eps=1e-30, centered=True, bias_correction=True,
                   eps_in_sqrt=True)
    x = np.zeros(n, dtype=dtype)
    opt = adaopt.RMSprop(x, **options)
    ref = ReferenceRMSprop(x, **options)
    negative = 0
    for _ in range(3):
        opt.step(g)                               # nonfinite='raise': none met
        ref.step(g)
        bias = dtype(1.0 / (1.0 - 0.5 ** ref.t))
        with np.errstate(over="ignore"):
            negative += np.count_nonzero(ref.v * bias - (ref.m * bias) ** 2 < 0)
    assert negative > 0                           # the case did come up
    assert np.isfinite(x).all()
    assert_close(x, ref.theta, ref.path["theta"], what="params")
