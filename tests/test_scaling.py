"""multistart(workers=...): the starts in chunks on processes, an executor or a
Dask cluster give bitwise the local run's results, also when a worker dies.

Nothing is mocked: the pools are real spawn process pools and the cluster a
real ``LocalCluster`` of two worker processes (one per module, its workers
single-threaded).  The objective is adaopt.jitted_problems' Rosenbrock, a
Numba dispatcher in an importable module, so it pickles to the workers.
A worker is killed from the progress line of the first chunk that comes
back, while the other chunks run: deterministic, no timers.
"""

import concurrent.futures
import contextlib
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import psutil
import pytest

import adaopt
from adaopt import status
from adaopt.jitted_problems import rosenbrock_fg
from adaopt.problems import Rosenbrock

ROOT = Path(__file__).resolve().parent.parent
STARTS = np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0], [-0.5, 1.5], [1.5, -0.5],
                   [3.0, 0.5], [0.9, 0.9], [-2.0, -1.0]])
OPTIONS = dict(lr=2e-3, maxiter=800)
#: Exactly 1.5 million iterations per start (gtol=0): about 0.1 s a start on
#: one thread, so a chunk of two is still running when a worker is killed.
SLOW = dict(lr=1e-4, maxiter=1_500_000, gtol=0.0)
FIELDS = ("x", "fun", "jac", "nit", "nfev", "njev", "status")


def assert_identical(got, ref):
    """Every start's result, bit for bit, and the choice of the best."""
    assert len(got.results) == len(ref.results)
    for a, b in zip(got.results, ref.results):
        for key in FIELDS:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for key in ("xs", "funs", "statuses"):
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    assert got.best == ref.best


@pytest.fixture(scope="module")
def local_slow():
    return adaopt.multistart(rosenbrock_fg, STARTS, jac=True, options=SLOW)


class KillOnFirstChunk(io.StringIO):
    """stdout that calls ``kill()`` on the first "chunks done" progress line."""

    def __init__(self, kill):
        super().__init__()
        self.kill, self.killed = kill, None

    def write(self, text):
        if "chunks done" in text and self.killed is None:
            self.killed = self.kill()
        return super().write(text)


# -- arguments ----------------------------------------------------------------


@pytest.mark.parametrize("workers, error", [
    (0, ValueError), (-2, ValueError), (True, TypeError), ("2", TypeError),
    (2.0, TypeError)])
def test_bad_workers_raise_naming_the_argument(workers, error):
    with pytest.raises(error, match="workers"):
        adaopt.multistart(rosenbrock_fg, STARTS, jac=True, workers=workers)


@pytest.mark.parametrize("chunk_size, error", [(0, ValueError), (True, TypeError),
                                               (1.5, TypeError)])
def test_bad_chunk_size_raises_naming_the_argument(chunk_size, error):
    with pytest.raises(error, match="chunk_size"):
        adaopt.multistart(rosenbrock_fg, STARTS, jac=True, workers=2,
                          chunk_size=chunk_size)
    with pytest.raises(ValueError, match="chunk_size needs workers"):
        adaopt.multistart(rosenbrock_fg, STARTS, jac=True, chunk_size=2)


def test_an_unpicklable_objective_is_a_type_error_before_any_work():
    def local(x):               # a local function: pickle cannot name it
        return Rosenbrock().fun_and_jac(x)
    before = {p.pid for p in psutil.Process().children()}
    with pytest.raises(TypeError, match="must be picklable to run on workers"):
        adaopt.multistart(local, STARTS, jac=True, workers=2)
    assert {p.pid for p in psutil.Process().children()} <= before   # no pool started


def test_adaopt_imports_without_dask():
    code = ("import sys, adaopt; adaopt.multistart\n"
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]"]


# -- local processes and executors ----------------------------------------------


def test_process_pool_survives_a_killed_worker(local_slow, capsys):
    """workers=1: the pool's process killed after the first chunk is back (it
    runs the second) breaks the pool; a new pool runs the unfinished chunks;
    nothing differs."""
    before = {p.pid for p in psutil.Process().children()}

    def kill():
        pool = [p for p in psutil.Process().children() if p.pid not in before
                and "spawn_main" in " ".join(p.cmdline())]
        os.kill(pool[0].pid, signal.SIGKILL)
        return pool[0].pid

    out = KillOnFirstChunk(kill)
    with contextlib.redirect_stdout(out):
        res = adaopt.multistart(rosenbrock_fg, STARTS, jac=True,
                                options=dict(SLOW, progress=True), workers=1,
                                chunk_size=2)
    assert out.killed is not None
    lines = out.getvalue().splitlines()
    assert any("a worker process died; running" in line for line in lines), lines
    assert lines[-1] == "multistart: 4/4 chunks done, 0/8 starts converged"
    assert_identical(res, local_slow)


def test_thread_executor_with_a_python_objective():
    p = Rosenbrock()
    ref = adaopt.multistart(p.fun, STARTS, jac=p.jac, options=dict(OPTIONS, maxiter=50))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        res = adaopt.multistart(p.fun, STARTS, jac=p.jac,
                                options=dict(OPTIONS, maxiter=50), workers=pool,
                                chunk_size=3)
    assert_identical(res, ref)


def fails_right_of_2_5(x):
    """Rosenbrock that raises at x[0] > 2.5 (row 5 of STARTS, at its start)."""
    if x[0] > 2.5:
        raise ArithmeticError("x[0] > 2.5")
    return Rosenbrock().fun_and_jac(x)


def test_a_failing_chunk_keeps_the_finished_ones():
    ref = adaopt.multistart(Rosenbrock().fun_and_jac, STARTS, jac=True,
                            options=dict(OPTIONS, maxiter=100))
    # one thread: chunks [0, 2), [2, 4) come back before [4, 6) fails
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with pytest.raises(ArithmeticError, match="2.5") as info:
            adaopt.multistart(fails_right_of_2_5, STARTS, jac=True,
                              options=dict(OPTIONS, maxiter=100), workers=pool,
                              chunk_size=2)
    part = info.value.adaopt_result
    for i in range(5):
        for key in FIELDS:
            np.testing.assert_array_equal(part.results[i][key], ref.results[i][key])
    assert part.statuses.tolist()[5:] == [status.EXCEPTION, status.NOT_RUN,
                                          status.NOT_RUN]
    np.testing.assert_array_equal(part.xs[5:], STARTS[5:])


def test_ctrl_c_returns_the_chunks_back_and_marks_the_rest(tmp_path):
    """A real SIGINT to a process waiting on its pool, after the first of
    three chunks came back: that chunk's results, the others INTERRUPTED."""
    script = tmp_path / "interrupted.py"
    script.write_text(textwrap.dedent(f"""
        import numpy as np, adaopt
        from adaopt.jitted_problems import rosenbrock_fg
        if __name__ == "__main__":
            res = adaopt.multistart(rosenbrock_fg, np.array({STARTS[:6].tolist()}),
                                    jac=True, options=dict({SLOW!r}, progress=True),
                                    workers=1, chunk_size=2)
            np.save({str(tmp_path / 'xs.npy')!r}, res.xs)
            print("statuses", *res.statuses, *[r.nit for r in res.results])
    """))
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-u", str(script)], stdout=subprocess.PIPE,
                            text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if "1/3 chunks done" in line:
            proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, lines
    ref = adaopt.multistart(rosenbrock_fg, STARTS[:2], jac=True, options=SLOW)
    words = lines[-1].split()
    assert words[0] == "statuses", lines
    assert [int(w) for w in words[1:7]] == [status.MAXITER] * 2 + [status.INTERRUPTED] * 4
    assert [int(w) for w in words[7:]] == [1_500_000] * 2 + [0] * 4
    xs = np.load(tmp_path / "xs.npy")
    np.testing.assert_array_equal(xs[:2], ref.xs)
    np.testing.assert_array_equal(xs[2:], STARTS[2:6])


# -- a Dask cluster ---------------------------------------------------------------


def test_dask_cluster_gives_the_local_results(client, capsys):
    ref = adaopt.multistart(rosenbrock_fg, STARTS, jac=True, options=OPTIONS)
    res = adaopt.multistart(rosenbrock_fg, STARTS, jac=True,
                            options=dict(OPTIONS, progress=True), workers=client)
    assert_identical(res, ref)
    lines = capsys.readouterr().out.splitlines()
    # default: 4 chunks per worker thread, here 8 chunks of one start
    assert lines[-1] == f"multistart: 8/8 chunks done, {res.statuses.tolist().count(0)}" \
                        f"/8 starts converged"
    assert len(lines) == 8


def test_dask_reruns_the_chunk_of_a_killed_worker(client, local_slow):
    pids = client.run(os.getpid)

    def kill():
        busy = [addr for addr, keys in client.processing().items() if keys]
        os.kill(pids[busy[0]], signal.SIGKILL)
        return pids[busy[0]]

    out = KillOnFirstChunk(kill)
    with contextlib.redirect_stdout(out):
        res = adaopt.multistart(rosenbrock_fg, STARTS, jac=True,
                                options=dict(SLOW, progress=True), workers=client,
                                chunk_size=2)
    assert out.killed in pids.values()
    assert out.getvalue().splitlines()[-1] == \
        "multistart: 4/4 chunks done, 0/8 starts converged"
    assert_identical(res, local_slow)
    client.wait_for_workers(2, timeout=60)    # the nanny restarted the worker
    assert out.killed not in client.run(os.getpid).values()
