"""multistart(batch_args=...): start i gets row i of each batch array, and its
result is bitwise that of adaopt.minimize with those rows appended to args.

One fit per row of a data matrix: the model a * exp(-b t) fitted by least
squares to each row of ``Y``.  The jitted objective is
adaopt.jitted_problems.exp_decay_fg (cache=True, importable, so it pickles
to processes and Dask workers; one objective, so one compiled driver for
the whole module); the Python objective is the same sum in NumPy.  The
workers are real: a spawn process pool, a thread pool and a two-worker
``LocalCluster`` (as in tests/test_scaling.py).
"""

import concurrent.futures
import os

import numpy as np
import pytest

import adaopt
from adaopt import _threading
from adaopt.jitted_problems import exp_decay_fg

T = np.linspace(0.0, 2.0, 8)
_rng = np.random.default_rng(7)
NSTART = 6
#: one row of data per start; a, b of the rows spread over [1, 3] x [0.5, 2]
Y = (_rng.uniform(1.0, 3.0, (NSTART, 1))
     * np.exp(-_rng.uniform(0.5, 2.0, (NSTART, 1)) * T)
     + 0.01 * _rng.standard_normal((NSTART, T.size)))
#: a second batch array: a weight per start (1-D: start i gets the scalar W[i])
WEIGHTS = np.linspace(0.5, 2.0, NSTART)
X0S = np.tile([1.0, 1.0], (NSTART, 1))
X0S[::2] += 0.25                     # not all starts alike
METHOD = "sgd"
# a constant rate (the benchmark's setting), with which every fit converges
OPTIONS = dict(lr=0.03, momentum=0.9, nesterov=True, maxiter=400, gtol=1e-8,
               lr_schedule=None)
FIELDS = ("x", "fun", "jac", "nit", "nfev", "njev", "status")


def exp_decay_py(x, t, y, w=1.0):
    """``w`` times exp_decay_fg's least squares, in NumPy (a Python objective)."""
    e = np.exp(-x[1] * t)
    r = x[0] * e - y
    return w * float(r @ r), w * np.array([2.0 * (r @ e), -2.0 * x[0] * (r @ (t * e))])


def assert_identical(got, ref):
    for key in FIELDS:
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)


def singles(fun, batch, x0s=X0S, **kwargs):
    """adaopt.minimize of each start alone, its rows of ``batch`` after ``(T,)``."""
    return [adaopt.minimize(fun, x0, args=(T,) + tuple(b[i] for b in batch), jac=True,
                            method=METHOD, **kwargs) for i, x0 in enumerate(x0s)]


def check_against_singles(res, refs):
    assert len(res.results) == len(refs)
    for got, ref in zip(res.results, refs):
        assert_identical(got, ref)
    np.testing.assert_array_equal(res.xs, [r.x for r in refs])
    np.testing.assert_array_equal(res.funs, [r.fun for r in refs])
    assert res.best == int(np.argmin([r.fun for r in refs]))


@pytest.fixture(scope="module")
def jitted_refs():
    return singles(exp_decay_fg, (Y,), options=OPTIONS)


def test_compiled_starts_equal_minimize_with_their_rows(jitted_refs):
    res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                            options=OPTIONS, batch_args=(Y,))
    check_against_singles(res, jitted_refs)
    # the fits are real: every row converged, to its own data
    assert res.statuses.tolist() == [0] * NSTART
    assert len({tuple(x) for x in res.xs}) == NSTART


def test_serial_fallback_of_the_compiled_driver_gives_the_same_rows(jitted_refs):
    # with another parallel region running (here: this thread holds the
    # region lock) the starts go through the single driver one by one
    with _threading.parallel_region() as held:
        assert held
        res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                                options=OPTIONS, batch_args=(Y,))
    check_against_singles(res, jitted_refs)


def test_python_driver_and_python_objective_equal_minimize(jitted_refs):
    forced = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                               options=dict(OPTIONS, driver="python"), batch_args=[Y])
    # the compiled and Python drivers agree to the bit (one iteration)
    check_against_singles(forced, jitted_refs)
    opts = dict(OPTIONS, maxiter=60)
    res = adaopt.multistart(exp_decay_py, X0S, args=(T,), jac=True, method=METHOD,
                            options=opts, batch_args=(Y, WEIGHTS))
    check_against_singles(res, singles(exp_decay_py, (Y, WEIGHTS), options=opts))
    # the weight is read: doubling it changes every start's f
    heavier = adaopt.multistart(exp_decay_py, X0S, args=(T,), jac=True, method=METHOD,
                                options=opts, batch_args=(Y, 2 * WEIGHTS))
    assert np.all(heavier.funs != res.funs)


def test_no_batch_args_is_todays_multistart():
    # Y as one shared argument: each start fits the first row, through args
    opts = dict(OPTIONS, maxiter=100)
    base = adaopt.multistart(exp_decay_fg, X0S, args=(T, Y[0]), jac=True, method=METHOD,
                             options=opts)
    for empty in (None, (), []):
        res = adaopt.multistart(exp_decay_fg, X0S, args=(T, Y[0]), jac=True,
                                method=METHOD, options=opts, batch_args=empty)
        for a, b in zip(res.results, base.results):
            assert_identical(a, b)
    # ... and as a batch array whose rows are all Y[0]: the same starts
    rows = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                             options=opts, batch_args=(np.tile(Y[0], (NSTART, 1)),))
    np.testing.assert_array_equal(rows.xs, base.xs)


def test_dtype_rules_byte_order_and_layout(jitted_refs):
    # big-endian, Fortran-ordered and strided inputs become native C arrays
    # with the same values: the same bits as the plain array
    swapped = Y.astype(">f8")
    fortran = np.asfortranarray(Y)
    strided = np.repeat(Y, 2, axis=1)[:, ::2]
    for data in (swapped, fortran, strided, Y.tolist()):
        res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                                options=OPTIONS, batch_args=(data,))
        check_against_singles(res, jitted_refs)


@pytest.mark.parametrize("batch_args, error, match", [
    (Y, TypeError, r"batch_args must be a tuple or list.*batch_args=\(A,\)"),
    ((Y[:-1],), ValueError, r"batch_args\[0\] must have one row per start.*6.*\(5, 8\)"),
    ((Y, WEIGHTS[:2]), ValueError, r"batch_args\[1\] must have one row per start"),
    ((Y, 3.0), ValueError, r"batch_args\[1\] must have one row per start.*shape \(\)"),
    ((object(),), TypeError, r"batch_args\[0\] must be an array of numbers.*object"),
    ((np.array(["a"] * NSTART),), TypeError, r"batch_args\[0\].*dtype <U1"),
    (([[1.0], [2.0, 3.0]] * 3,), TypeError, r"batch_args\[0\] must be an array"),
    ((np.ma.masked_array(Y),), TypeError, r"batch_args\[0\] must not be a masked"),
])
def test_bad_batch_args_raise_naming_the_element(batch_args, error, match):
    with pytest.raises(error, match=match):
        adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                          options=OPTIONS, batch_args=batch_args)


def test_bad_batch_args_raise_before_any_worker_starts():
    with pytest.raises(ValueError, match=r"batch_args\[0\]"):
        adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, workers=2,
                          batch_args=(Y[:2],))


# -- workers ----------------------------------------------------------------------


def test_processes_and_threads_give_the_local_results(jitted_refs):
    res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                            options=OPTIONS, batch_args=(Y,), workers=2, chunk_size=2)
    check_against_singles(res, jitted_refs)
    opts = dict(OPTIONS, maxiter=60)
    ref = adaopt.multistart(exp_decay_py, X0S, args=(T,), jac=True, method=METHOD,
                            options=opts, batch_args=(Y, WEIGHTS))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        res = adaopt.multistart(exp_decay_py, X0S, args=(T,), jac=True, method=METHOD,
                                options=opts, batch_args=(Y, WEIGHTS), workers=pool,
                                chunk_size=4)
    for a, b in zip(res.results, ref.results):
        assert_identical(a, b)


def test_dask_client_with_numpy_and_dask_arrays(client, jitted_refs, capsys):
    import dask
    import dask.array as da
    res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                            options=OPTIONS, batch_args=(Y,), workers=client)
    check_against_singles(res, jitted_refs)
    # a dask array: the chunks of starts are its blocks (2, 3, 1 rows), computed
    # by the workers.  A block computed in this process raises, and anything but
    # the client's own calls computes here (np.asarray of it, say: gathering)
    parent = os.getpid()

    def on_a_worker(block):     # nested: cloudpickle sends it by value
        if os.getpid() == parent:
            raise AssertionError("a block of the dask array was computed in the client")
        return block

    lazy = da.from_array(Y, chunks=((2, 3, 1), (4, 4))).map_blocks(
        on_a_worker, dtype=Y.dtype, meta=np.empty((0, 0)))
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(AssertionError, match="computed in the client"):
            np.asarray(lazy)
        res = adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, method=METHOD,
                                options=dict(OPTIONS, progress=True), batch_args=(lazy,),
                                workers=client)
    check_against_singles(res, jitted_refs)
    assert capsys.readouterr().out.splitlines()[-1].startswith("multistart: 3/3 chunks")
    # two dask arrays chunked unlike each other, rechunked to chunk_size on
    # the cluster: start i calls fun(x, t_i, y_i), here with every t_i = T
    times = da.from_array(np.tile(T, (NSTART, 1)), chunks=(3, 8))
    res = adaopt.multistart(exp_decay_fg, X0S, jac=True, method=METHOD, options=OPTIONS,
                            batch_args=[times, lazy], workers=client, chunk_size=4)
    check_against_singles(res, jitted_refs)
    # a dask array's metadata is checked here, before anything is computed
    with pytest.raises(ValueError, match=r"batch_args\[0\].*shape \(5, 8\)"):
        adaopt.multistart(exp_decay_fg, X0S, args=(T,), jac=True, batch_args=(lazy[:5],),
                          workers=client)
