"""adaopt.multistart: every start gives what adaopt.minimize gives from it alone.

The jitted objective is shared with tests/test_compiled.py
(adaopt.jitted_problems, cache=True), so its compiled single driver is reused
here and only the parallel multi-start driver compiles.
"""

import numba
import numpy as np
import pytest
from scipy.optimize import OptimizeWarning

import adaopt
from adaopt import status
from adaopt.problems import Rosenbrock

from adaopt.jitted_problems import rosenbrock_fg as rosen_fg

STARTS = np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0], [-0.5, 1.5], [1.5, -0.5],
                   [3.0, 0.5], [0.9, 0.9]])
OPTIONS = dict(lr=2e-3, maxiter=800)


def assert_same(a, b):
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.jac, b.jac)
    for key in ("fun", "nit", "nfev", "njev", "status", "success", "message"):
        assert a[key] == b[key], key


def singles(fun, starts, **kwargs):
    return [adaopt.minimize(fun, x0, **kwargs) for x0 in starts]


def test_parallel_starts_equal_single_runs():
    res = adaopt.multistart(rosen_fg, STARTS, jac=True, options=OPTIONS)
    refs = singles(rosen_fg, STARTS, jac=True, options=dict(OPTIONS, driver="python"))
    assert len(res.results) == len(STARTS)
    for got, ref in zip(res.results, refs):
        assert_same(got, ref)
    funs = np.array([r.fun for r in refs])
    assert res.best == int(np.argmin(funs))
    assert_same(res, refs[res.best])
    np.testing.assert_array_equal(res.funs, funs)
    np.testing.assert_array_equal(res.xs, np.array([r.x for r in refs]))
    np.testing.assert_array_equal(res.statuses, [r.status for r in refs])


def test_thread_count_does_not_change_results():
    saved = numba.get_num_threads()
    try:
        out = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            out.append(adaopt.multistart(rosen_fg, STARTS, jac=True,
                                         options=dict(OPTIONS, maxiter=300)))
    finally:
        numba.set_num_threads(saved)
    np.testing.assert_array_equal(out[0].xs, out[1].xs)
    np.testing.assert_array_equal(out[0].funs, out[1].funs)


def test_bounds_clip_the_starts_with_one_warning():
    bounds = [(-1.0, 1.0), (-1.0, 1.0)]
    with pytest.warns(OptimizeWarning, match="not within the specified bounds") as rec:
        res = adaopt.multistart(rosen_fg, STARTS, jac=True, bounds=bounds,
                                options=dict(OPTIONS, maxiter=200))
    assert len(rec) == 1
    refs = singles(rosen_fg, np.clip(STARTS, -1.0, 1.0), jac=True, bounds=bounds,
                       options=dict(OPTIONS, maxiter=200, driver="python"))
    for got, ref in zip(res.results, refs):
        assert_same(got, ref)
    assert np.all(np.abs(res.xs) <= 1.0)


def test_python_objective_runs_serially_with_the_same_results():
    p = Rosenbrock()
    res = adaopt.multistart(p.fun, STARTS[:3], jac=p.jac, options=dict(OPTIONS, maxiter=200))
    refs = singles(p.fun, STARTS[:3], jac=p.jac, options=dict(OPTIONS, maxiter=200))
    for got, ref in zip(res.results, refs):
        assert_same(got, ref)
    forced = adaopt.multistart(rosen_fg, STARTS[:3], jac=True,
                               options=dict(OPTIONS, maxiter=200, driver="python"))
    for got, ref in zip(forced.results, res.results):
        np.testing.assert_allclose(got.x, ref.x, rtol=1e-12)


def test_maximize_picks_the_highest_value():
    # maximizing -rosen: the best start is the one with the highest fun
    def neg(x):
        f, g = Rosenbrock().fun_and_jac(x)
        return -f, -g
    res = adaopt.multistart(neg, STARTS[:4], jac=True,
                            options=dict(OPTIONS, maxiter=100, maximize=True))
    assert res.best == int(np.argmax(res.funs))
    assert res.statuses.tolist() == [status.MAXITER] * 4


def test_dtype_rules_and_disp(capsys):
    res = adaopt.multistart(rosen_fg, STARTS[:2].astype(np.float32), jac=True,
                            options=dict(OPTIONS, maxiter=50))
    assert res.xs.dtype == np.float32 and res.x.dtype == np.float32
    capsys.readouterr()
    res = adaopt.multistart(Rosenbrock().fun_and_jac, [[0, 0], [1, 2]], jac=True,
                            options=dict(maxiter=5, disp=True))
    assert res.xs.dtype == np.float64
    out = capsys.readouterr().out
    assert out.count("Iterations: 5") == 1      # the best start's summary only


@pytest.mark.parametrize("x0s, error, match", [
    (np.zeros(2), ValueError, "2-D"),
    (np.zeros((0, 2)), ValueError, "at least one row"),
    (np.array([[0.0, 1.0], [0.0, np.nan]]), ValueError, "x0s must be finite"),
    (np.array([["a", "b"]]), TypeError, "x0s must be real.*dtype"),
])
def test_bad_starts_raise_naming_the_argument(x0s, error, match):
    with pytest.raises(error, match=match):
        adaopt.multistart(rosen_fg, x0s, jac=True)


def test_forcing_compiled_with_a_python_objective_raises():
    with pytest.raises(ValueError, match="Numba-jitted"):
        adaopt.multistart(Rosenbrock().fun_and_jac, STARTS, jac=True,
                          options=dict(driver="compiled"))
