"""Gradients and starts that the compiled loops cannot read as they are.

Each kind is converted once or refused with a clear ``TypeError`` or
``ValueError`` on every path, never read as wrong numbers and never a
Numba error:

* byte order, alignment, dtype, layout: :meth:`adaopt.RMSprop.step` and
  ``RMSprop(params)`` refuse (strict: they never copy inside a training
  loop); :func:`adaopt.minimize` (every ``jac`` form), ``adaopt.rmsprop``
  and :func:`adaopt.multistart` convert, to the bits of a native gradient;
* lists, tuples, columns ``(n, 1)`` and rows ``(1, n)`` give the bits of
  the 1-D array with every option;
* a ``clip_norm`` gradient whose squares overflow moves every path by the
  same step;
* an integer ``x0`` in ``rmsprop_njit`` runs in float64;
* a jitted objective returning the wrong kind gets the Python driver's
  error before any driver is compiled.

The jitted objectives below are shared by the tests (each compiles one
driver, cached on disk).
"""

import numba
import numpy as np
import pytest
import scipy.optimize
from numba.core.errors import NumbaError, TypingError

import adaopt

X0 = np.array([3.0, -4.0, 0.5])


def quad(x):
    return float(x @ x)


def quad_grad(x):
    return 2.0 * x


@numba.njit(cache=True)
def linear_fg(x, c):
    """f = c . x with the constant gradient c (any magnitude, any shape given)."""
    return np.sum(x * c), c.copy()


@numba.njit(cache=True)
def column_fg(x):
    """0.5 |x|^2 with its gradient as a column (n, 1)."""
    return 0.5 * np.sum(x * x), x.copy().reshape((-1, 1))


@numba.njit(cache=True)
def column_ref_fg(x):
    return 0.5 * np.sum(x * x), x.copy()


@numba.njit(cache=True)
def tuple_fg(x):
    """0.5 |x|^2 with its gradient as a tuple of mixed types (n = 3)."""
    return 0.5 * np.sum(x * x), (x[0], x[1], x[2] * 1)


@numba.njit(cache=True)
def list_fg(x):
    return 0.5 * np.sum(x * x), [x[0], x[1], x[2]]


@numba.njit(cache=True)
def three_d_fg(x):
    return 0.5 * np.sum(x * x), x.copy().reshape((1, 1, -1))


@numba.njit(cache=True)
def complex_grad_fg(x):
    return np.sum(x * x), (2.0 * x).astype(np.complex128)


@numba.njit(cache=True)
def no_pair_fg(x):
    return np.sum(x * x)


@numba.njit(cache=True)
def vector_f_fg(x):
    return x * x, 2.0 * x


@numba.njit(cache=True)
def _first(a):
    return a[0]


def unaligned(values):
    """A float64 copy of ``values`` at an odd byte offset (np.frombuffer)."""
    values = np.asarray(values, dtype=np.float64)
    buf = bytearray(values.size * 8 + 1)
    out = np.frombuffer(buf, dtype=np.float64, count=values.size, offset=1)
    out[:] = values
    assert not out.flags.aligned
    return out


SWAPPED = np.dtype(np.float64).newbyteorder("S")     # '>f8' on x86 and ARM


def big_endian(values):
    """``values`` as float64 in the other byte order."""
    return np.asarray(values, dtype=np.float64).astype(SWAPPED)


def strided(values):
    values = np.asarray(values, dtype=np.float64)
    return np.repeat(values, 2)[::2]


def read_only(values):
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out


@pytest.fixture(scope="module", autouse=True)
def numba_has_seen_an_unaligned_array():
    # Numba's dispatcher remembers the type of the first non-"behaved" array
    # it sees per (ndim, layout, writeable, type number), ignoring byte order
    # and alignment; after an unaligned float64 array, a '>f8' one is taken
    # for native float64 and read as such.  That was the misread gradient.
    _first(unaligned([1.0, 2.0]))


def assert_same_result(got, ref):
    np.testing.assert_array_equal(got.x, ref.x)
    np.testing.assert_array_equal(got.jac, ref.jac)
    assert got.x.dtype == ref.x.dtype
    for key in ("fun", "nit", "nfev", "njev", "status", "message"):
        assert got[key] == ref[key], key


# -- RMSprop: strict, clear errors ----------------------------------------------

STRICT = [
    # (id, grad factory from a native gradient, exception, words)
    ("big-endian", big_endian, TypeError, ["grad", "byte order", SWAPPED.str]),
    ("unaligned", unaligned, ValueError, ["grad", "aligned"]),
    ("float32", lambda g: g.astype(np.float32), TypeError, ["grad", "float32"]),
    ("strided", strided, ValueError, ["grad", "contiguous"]),
    ("list", list, TypeError, ["grad", "list"]),
    ("column", lambda g: g[:, None].copy(), ValueError, ["grad", "shape"]),
]


@pytest.mark.parametrize("options", [{}, dict(clip_norm=1.0), dict(centered=True)])
@pytest.mark.parametrize("make, exc, words", [s[1:] for s in STRICT],
                         ids=[s[0] for s in STRICT])
def test_step_refuses_a_gradient_it_would_have_to_copy(make, exc, words, options):
    params = X0.copy()
    opt = adaopt.RMSprop(params, lr=0.1, **options)
    opt.step(2.0 * params)
    before, state = params.copy(), {k: v.copy() for k, v in opt.state.items()}
    with pytest.raises(exc) as info:
        opt.step(make(2.0 * params))
    assert not isinstance(info.value, NumbaError)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    np.testing.assert_array_equal(params, before)
    assert opt.step_count == 1
    for k, v in opt.state.items():
        np.testing.assert_array_equal(v, state[k])


@pytest.mark.parametrize("make, exc, words", [
    (big_endian, TypeError, ["params", "byte order", SWAPPED.str, "in place"]),
    (unaligned, ValueError, ["params", "aligned", "in place"]),
    (lambda v: np.asarray(v, np.float32).astype(np.dtype(np.float32).newbyteorder("S")),
     TypeError, ["params", "byte order", np.dtype(np.float32).newbyteorder("S").str]),
], ids=["big-endian", "unaligned", "big-endian float32"])
def test_params_that_cannot_be_updated_in_place_are_refused(make, exc, words):
    params = make(X0)
    before = params.copy()
    with pytest.raises(exc) as info:
        adaopt.RMSprop(params, lr=0.1)
    assert not isinstance(info.value, NumbaError)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    np.testing.assert_array_equal(params, before)


# -- minimize and friends: converted, to the bits of a native gradient ----------

CONVERTED = {
    "big-endian": big_endian,
    "unaligned": unaligned,
    "float32": lambda g: g.astype(np.float32),
    "strided": strided,
    "read-only": read_only,
    "list": list,
    "tuple": tuple,
    "column": lambda g: g[:, None],
    "row": lambda g: g[None, :],
    "integer": lambda g: np.round(g).astype(np.int64),
}
OPTIONS = {
    "plain": {},
    "clip_norm": dict(clip_norm=0.5),
    "clip_value": dict(clip_value=1.0),
    "both clips": dict(clip_value=1.0, clip_norm=0.5),
    "centered": dict(centered=True),
    "momentum": dict(momentum=0.9, nesterov=True),
    "schedule": dict(lr_schedule=adaopt.schedules.cosine_decay(0.05, 20)),
}


def _native(make):
    """The native gradient the converted one must equal (integers round)."""
    if make is CONVERTED["integer"]:
        return lambda x: np.round(2.0 * x)
    if make is CONVERTED["float32"]:
        return lambda x: (2.0 * x).astype(np.float32).astype(np.float64)
    return quad_grad


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("kind", CONVERTED)
def test_minimize_converts_every_gradient_to_the_native_bits(kind, option):
    make = CONVERTED[kind]
    native = _native(make)
    # a constant rate: the run goes on to maxiter (the default rule would stop
    # it early at gtol, and nit == 20 would no longer tell a misread gradient)
    opts = dict(dict(lr=0.05, maxiter=20, driver="python", lr_schedule=None),
                **OPTIONS[option])
    ref = adaopt.minimize(quad, X0, jac=native, options=opts)
    got = adaopt.minimize(quad, X0, jac=lambda x: make(native(x)), options=opts)
    assert_same_result(got, ref)
    assert got.nit == 20          # the misread gradient stopped at nit 1
    pair = adaopt.minimize(lambda x: (quad(x), make(native(x))), X0, jac=True,
                           options=opts)
    assert_same_result(pair, ref)     # (njev = nfev here as there)


@pytest.mark.parametrize("kind", ["big-endian", "unaligned", "column", "list"])
def test_scipy_method_and_multistart_convert_too(kind):
    make = CONVERTED[kind]
    opts = dict(lr=0.05, maxiter=20, clip_norm=0.5)
    ref = adaopt.minimize(quad, X0, jac=quad_grad, options=opts)
    got = scipy.optimize.minimize(quad, X0, jac=lambda x: make(quad_grad(x)),
                                  method=adaopt.rmsprop, options=opts)
    assert_same_result(got, ref)
    multi = adaopt.multistart(quad, [X0, -X0], jac=lambda x: make(quad_grad(x)),
                              options=opts)
    assert_same_result(multi.results[0], ref)
    assert_same_result(multi.results[1], adaopt.minimize(quad, -X0, jac=quad_grad,
                                                         options=opts))


@pytest.mark.parametrize("jac", ["2-point", "3-point", quad_grad])
@pytest.mark.parametrize("make", [big_endian, unaligned, strided], ids=["big-endian",
                                                                       "unaligned",
                                                                       "strided"])
def test_x0_in_another_layout_is_converted(make, jac):
    opts = dict(lr=0.05, maxiter=15, clip_norm=0.5)
    x0 = make(X0)
    before = x0.copy()
    ref = adaopt.minimize(quad, X0, jac=jac, options=opts)
    got = adaopt.minimize(quad, x0, jac=jac, options=opts)
    assert_same_result(got, ref)
    assert got.x.dtype == np.float64 and got.x.dtype.isnative
    np.testing.assert_array_equal(x0, before)


@pytest.mark.parametrize("bad, exc, words", [
    (lambda g: np.ones((2, 2)), ValueError, ["gradient", "shape", "(2, 2)"]),
    (lambda g: g[:, None, None], ValueError, ["gradient", "shape", "(3, 1, 1)"]),
    (lambda g: g[:2], ValueError, ["gradient", "shape", "(2,)"]),
    (lambda g: g.astype(complex), TypeError, ["gradient", "complex128"]),
    (lambda g: [1.0, [2.0, 3.0], 4.0], TypeError, ["gradient"]),
], ids=["(2, 2)", "(3, 1, 1)", "too short", "complex", "ragged list"])
@pytest.mark.parametrize("at", [0, 3], ids=["first", "later"])
def test_minimize_refuses_a_gradient_of_another_shape_or_kind(bad, exc, words, at):
    calls = []

    def jac(x):
        calls.append(1)
        g = quad_grad(x)
        return bad(g) if len(calls) > at else g

    x0 = X0.copy()
    with pytest.raises(exc) as info:
        adaopt.minimize(quad, x0, jac=jac,
                        options=dict(lr=0.05, maxiter=10, clip_norm=0.5))
    assert not isinstance(info.value, NumbaError)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    np.testing.assert_array_equal(x0, X0)


# -- jitted objectives -----------------------------------------------------------

def test_a_jitted_column_gradient_gives_the_bits_of_the_1d_one_on_every_driver():
    opts = dict(lr=0.05, maxiter=25, clip_norm=0.5, momentum=0.5)
    ref = adaopt.minimize(column_ref_fg, X0, jac=True,
                          options=dict(opts, driver="python"))
    for driver in ("python", "compiled"):
        got = adaopt.minimize(column_fg, X0, jac=True, options=dict(opts, driver=driver))
        assert_same_result(got, ref)


def test_a_jitted_tuple_or_list_gradient_runs_as_on_the_python_driver():
    """Regression: the Python driver converted a jitted objective's tuple,
    the compiled driver and multistart refused it."""
    opts = dict(lr=0.05, maxiter=25, clip_norm=0.5, momentum=0.5)
    ref = adaopt.minimize(column_ref_fg, X0, jac=True, options=dict(opts, driver="python"))
    for driver in ("python", "compiled"):
        for fun in (tuple_fg, list_fg):
            got = adaopt.minimize(fun, X0, jac=True, options=dict(opts, driver=driver))
            assert_same_result(got, ref)
    # (multistart's compiled path runs the same copy of the gradient)


@pytest.mark.parametrize("fun, exc, words", [
    (three_d_fg, ValueError, ["gradient", "shape", "(3,)"]),
    (complex_grad_fg, TypeError, ["gradient", "complex128"]),
    (no_pair_fg, TypeError, ["jac=True", "pair"]),
    (vector_f_fg, ValueError, ["objective", "real scalar"]),
], ids=["3-D gradient", "complex gradient", "no pair", "vector f"])
@pytest.mark.parametrize("entry", ["python", "compiled", "multistart"])
def test_a_jitted_objective_of_the_wrong_kind_gets_the_python_drivers_error(
        fun, exc, words, entry):
    opts = dict(lr=0.05, maxiter=5)
    with pytest.raises(exc) as info:
        if entry == "multistart":
            adaopt.multistart(fun, [X0, -X0], jac=True,
                              options=dict(opts, driver="compiled"))
        else:
            adaopt.minimize(fun, X0, jac=True, options=dict(opts, driver=entry))
    assert not isinstance(info.value, NumbaError), repr(info.value)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@numba.njit
def _njit_complex(x0):
    return adaopt.rmsprop_njit(complex_grad_fg, x0, maxiter=3).x


def test_rmsprop_njit_names_a_complex_gradient_while_typing():
    # inside the user's own @njit code a typing error is the only way to
    # refuse; its message says what is wrong (documented)
    with pytest.raises(TypingError) as info:
        _njit_complex(X0.copy())
    # Numba wraps it in its own report: one line of it is adaopt's (as documented)
    lines = [line.strip() for line in str(info.value).splitlines()]
    ours = [line for line in lines if "adaopt: " in line]
    assert len(ours) == 1 and ours[0].endswith(
        "adaopt: the gradient (jac) must be a real array of shape (n,) like x0, "
        "got array(complex128, 1d, C)"), ours


# -- clip_norm with a norm that overflows -------------------------------------------

BIG = np.array([1e200, -3e199, 2e200])
# the object's constant rate on every path
# the object's run (no momentum, a constant rate): minimize's policy off
BIG_OPTS = dict(lr=0.1, rho=0.9, clip_norm=1.0, maxiter=6, gtol=0.0, lr_schedule=None,
                momentum=0.0)


@numba.njit
def _njit_big(x0, c):
    r = adaopt.rmsprop_njit(linear_fg, x0, (c,), lr=0.1, rho=0.9, clip_norm=1.0,
                            maxiter=6, gtol=0.0, lr_schedule=None, momentum=0.0)
    return r.x, r.nit, r.status


def test_an_overflowing_clip_norm_takes_the_same_step_on_every_path():
    # the reference: g scaled by 1 / ||g|| computed without overflow
    norm = 1e200 * np.sqrt(np.sum((BIG / 1e200) ** 2))
    expected_scale = 1.0 / norm
    assert 0.0 < expected_scale < 1e-199
    params = X0.copy()
    opt = adaopt.RMSprop(params, lr=0.1, rho=0.9, clip_norm=1.0)
    for _ in range(6):
        opt.step(BIG.copy())
    assert np.all(np.abs(params - X0) > 0.1)         # it moved
    python = adaopt.minimize(linear_fg, X0, jac=True, args=(BIG,),
                             options=dict(BIG_OPTS, driver="python"))
    lam = adaopt.minimize(lambda x: float(x @ BIG), X0, jac=lambda x: BIG.copy(),
                          options=BIG_OPTS)
    fast = adaopt.minimize(linear_fg, X0, jac=True, args=(BIG,),
                           options=dict(BIG_OPTS, driver="compiled"))
    multi = adaopt.multistart(linear_fg, [X0, X0], jac=True, args=(BIG,),
                              options=dict(BIG_OPTS, driver="compiled"))
    multi_py = adaopt.multistart(lambda x: (float(x @ BIG), BIG.copy()), [X0],
                                 jac=True, options=BIG_OPTS)
    x, nit, code = _njit_big(X0.copy(), BIG)
    for res in (python, lam, fast, multi.results[0], multi.results[1],
                multi_py.results[0]):
        np.testing.assert_array_equal(res.x, params)
        assert res.nit == 6
    np.testing.assert_array_equal(x, params)
    assert nit == 6 and code == adaopt.status.MAXITER


def test_the_overflow_safe_scale_is_the_scale_of_the_rescaled_gradient():
    from adaopt import kernels
    for dtype in (np.float64,):
        g = BIG.astype(dtype)
        got = kernels.clip_scale(g, np.inf, 1.0)
        ref = 1.0 / (2e200 * np.linalg.norm(g / 2e200))
        assert got == pytest.approx(ref, rel=1e-15)
        # with clip_value the clipped entries count, here all of them clipped
        assert kernels.clip_scale(g, 1e199, 1.0) == pytest.approx(
            1.0 / (1e199 * np.sqrt(3)), rel=1e-15)
        # a norm beyond the float range itself
        huge = np.full(4, 1.5e308)
        assert kernels.clip_scale(huge, np.inf, 1.0) == pytest.approx(
            1.0 / 1.5e308 / 2.0, rel=1e-12)
        # the parallel build agrees to the bit
        assert kernels.clip_scale(g, np.inf, 1.0, parallel=True) == got


# -- rmsprop_njit with an integer x0 ---------------------------------------------

@numba.njit
def _njit_rosen(x0):
    r = adaopt.rmsprop_njit(linear_fg, x0, (np.array([1.0, -2.0, 0.5]),), lr=0.05,
                            maxiter=30, gtol=0.0)
    return r.x, r.nit, r.status


def test_rmsprop_njit_runs_an_integer_x0_in_float64_as_minimize_does():
    x, nit, code = _njit_rosen(np.array([3, -4, 1]))
    ref = adaopt.minimize(linear_fg, np.array([3, -4, 1]), jac=True,
                          args=(np.array([1.0, -2.0, 0.5]),),
                          options=dict(lr=0.05, maxiter=30, gtol=0.0))
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x, ref.x)
    assert nit == ref.nit == 30 and code == ref.status == adaopt.status.MAXITER


# -- arrays in args of a jitted objective -------------------------------------------

def _unaligned_copy(a):
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.frombuffer(buf.data, dtype=a.dtype, count=a.size, offset=1)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_arrays_in_args_numba_cannot_read_are_passed_as_native_copies():
    """Regression: a '>f8' array in args made Numba raise its own
    NumbaValueError ('Unsupported array dtype: >f8'), on every driver."""
    from test_compiled import quad_fg

    d, c = np.array([1.0, 3.0, 0.5]), np.array([0.5, -1.0, 2.0])
    opts = dict(lr=0.05, maxiter=30)
    ref = adaopt.minimize(quad_fg, X0, args=(d, c, np.inf), jac=True,
                          options=dict(opts, driver="python"))
    odd = (d.astype(">f8"), _unaligned_copy(c), np.inf)
    for driver in ("python", "compiled"):
        got = adaopt.minimize(quad_fg, X0, args=odd, jac=True,
                              options=dict(opts, driver=driver))
        assert_same_result(got, ref)
    assert odd[0].dtype == np.dtype(">f8") and not odd[1].flags.aligned   # untouched
