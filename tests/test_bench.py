"""The references of ``python -m adaopt bench`` compute what they claim.

Speed itself is never asserted here (benchmarks show it); these tests check
that the probe moves the bytes it should, that the bare loop and the NumPy
baseline compute the plain RMSprop update, and that the bench machinery
returns one positive time per contender.
"""

import time

import numpy as np
import pytest

import adaopt
from adaopt import bench, kernels
from adaopt._rmsprop import RMSPROP
from adaopt.__main__ import main as cli_main

DTYPES = [np.float32, np.float64]


def _vectors(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype),
            np.abs(rng.standard_normal(n)).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_probe_streams_theta_grad_v(dtype, parallel):
    x, g, v = _vectors(1000, dtype)
    a = np.array([0.25], dtype)
    want_x, want_v = x - a[0] * g, v + g
    bench.streaming_probe(x, g, v, a, parallel=parallel)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(v, want_v)
    assert x.dtype == v.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_bare_step_and_numpy_match_rmsprop(dtype, parallel):
    """The two references compute RMSprop's plain update (to rounding)."""
    x, g, _ = _vectors(500, dtype, seed=1)
    xa, xb, xn = x.copy(), x.copy(), x.copy()
    opt = adaopt.RMSprop(xa, lr=bench.LR, rho=bench.RHO, eps=bench.EPS)
    vb = np.zeros_like(x)
    s = np.array([bench.LR, bench.RHO, 1 - bench.RHO, bench.EPS], dtype)
    ref = bench.NumpyRMSprop(xn)
    for k in range(5):
        gk = g * (k + 1)
        opt.step(gk)
        bench.bare_step(xb, gk, vb, s, parallel=parallel)
        ref.step(gk)
    tol = dict(rtol=8 * np.finfo(dtype).eps, atol=0)
    np.testing.assert_allclose(xb, xa, **tol)
    np.testing.assert_allclose(xn, xa, **tol)
    np.testing.assert_allclose(vb, opt.state["square_avg"], **tol)
    np.testing.assert_allclose(ref.v, opt.state["square_avg"], **tol)
    assert not np.array_equal(xa, x)


def test_bench_table_times_every_contender():
    rows = bench.bench_table(sizes=(300,), dtypes=(np.float32,), seconds=0.01,
                             others=False)
    (row,) = rows
    assert row["n"] == 300 and row["dtype"] == "float32" and row["parallel"] is False
    for name in ("adaopt", "kernel", "probe", "bare", "numpy"):
        assert row[name] > 0, name
    assert row["spread"] >= 0.0
    text = bench.format_table(rows)
    assert text.splitlines()[0].split()[:4] == ["dtype", "n", "path", "step"]
    assert text.splitlines()[1].split()[:3] == ["float32", "300", "serial"]


def test_threshold_scan_and_overhead_report_both_paths():
    scan = bench.threshold_scan(exponents=(10,), dtypes=(np.float64,), seconds=0.01)
    ((n, serial, parallel),) = scan["float64"]
    assert n == 1024 and serial > 0 and parallel > 0
    ((dtype, n, step, wrapper, loop),) = bench.step_overhead(
        sizes=(10,), dtypes=(np.float32,), seconds=0.01)
    assert (dtype, n) == ("float32", 10) and min(step, wrapper, loop) > 0


def test_cli_bench_help_and_bad_seconds(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "--help"])
    assert exc.value.code == 0
    assert "--quick" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "--seconds", "-1"])
    assert exc.value.code == 2
    assert "--seconds must be > 0, got -1.0" in capsys.readouterr().err


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_overlapping_grad_is_refused_before_any_change(parallel):
    """The step loop itself refuses a grad that shares memory with params
    (RMSprop.step relies on it instead of np.shares_memory)."""
    buf = np.linspace(1.0, 2.0, 40)
    x, S = buf[:20], np.ones((1, 20))
    hp = np.empty(RMSPROP.hp_size)
    RMSPROP.fixed_scalars(hp, RMSPROP.settings(RMSPROP.check({"lr": 0.1})))
    before = buf.copy()
    for grad in (buf[:20], buf[10:30], buf[19:39]):
        with pytest.raises(ValueError, match="grad must not share memory with params"):
            kernels.rmsprop_step(x, grad, S, hp, False, False, parallel)
    np.testing.assert_array_equal(buf, before)
    np.testing.assert_array_equal(S, 1.0)
    # adjacent but disjoint is fine
    assert kernels.rmsprop_step(x, buf[20:], S, hp, False, False, parallel) is False
    assert not np.array_equal(x, before[:20])


def test_rmsprop_step_refuses_params_as_grad():
    x = np.array([1.0, 2.0, 3.0])
    opt = adaopt.RMSprop(x, lr=0.1)
    opt.step(np.ones(3))
    state = {k: a.copy() for k, a in opt.state.items()}
    x_before = x.copy()
    with pytest.raises(ValueError, match="grad must not share memory with params"):
        opt.step(x)
    with pytest.raises(ValueError, match="grad must not share memory with params"):
        opt.step(x[::-1][::-1])
    np.testing.assert_array_equal(x, x_before)
    for k, a in opt.state.items():
        np.testing.assert_array_equal(a, state[k])
    assert opt.step_count == 1


def _sleeper(durations):
    """A callable that sleeps the next of ``durations`` on each call."""
    it = iter(durations)
    return lambda: time.sleep(next(it))


def test_measure_reports_the_spread_between_rounds():
    # first call calibrates (>= 20 us: timed one by one, two calls a round);
    # then rounds alternate between 1 ms and 6 ms calls: the best is 1 ms,
    # the median round 3.5 ms -> spread about 2.5
    ms = 1e-3
    rounds = [[1 * ms, 1 * ms], [6 * ms, 6 * ms]] * 2
    noisy = _sleeper([2 * ms] + [d for r in rounds for d in r])
    steady = _sleeper([2 * ms] + [1 * ms] * 8)
    spread = {}
    best = bench.measure({"noisy": noisy, "steady": steady}, seconds=0.0,
                         min_rounds=4, spread=spread)
    assert 1 * ms <= best["noisy"] < 3 * ms
    assert spread["noisy"] > 1.5
    assert spread["steady"] < bench.UNSTABLE_SPREAD


def test_unstable_rows_are_marked_in_the_table():
    row = {"n": 1000, "dtype": "float64", "parallel": False, "adaopt": 2e-6,
           "kernel": 1.5e-6, "probe": 1e-6, "bare": 1.2e-6, "numpy": 6e-6}
    calm = dict(row, spread=0.03)
    noisy = dict(row, spread=0.8)
    text = bench.format_table([calm])
    assert "!" not in text and bench.UNSTABLE_NOTE not in text
    assert text.splitlines()[1].split()[-1] == "3%"
    lines = bench.format_table([calm, noisy]).splitlines()
    assert lines[2].split()[-2:] == ["80%", "!"]
    assert lines[-1] == bench.UNSTABLE_NOTE
    assert not bench.is_unstable(calm) and bench.is_unstable(noisy)


def test_startup_cases_run_in_a_new_interpreter_with_the_cache_given(tmp_path):
    """``bench --startup``'s programs: every case is valid Python with a
    target; the import case runs in a child with ``NUMBA_CACHE_DIR`` set
    and reports a time (the compiling cases are benchmarks, not tests)."""
    from adaopt import startup
    assert set(startup.TARGETS) == set(startup.CASES)
    for name in startup.CASES:
        compile(startup.case_source(name), name, "exec")
    seconds = startup.time_case("import", str(tmp_path))
    assert 0.0 < seconds < 60.0
    assert (tmp_path / "startup_import.py").read_text() == startup.case_source("import")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "startup_import.py").write_text("raise SystemExit('no adaopt here')\n")
    with pytest.raises(RuntimeError, match="startup case import failed"):
        startup.time_case("import", str(broken))
