"""asv: the compiled driver (``driver='compiled'``), multistart and compile cost.

Targets (issue 4, DESIGN.md section 3): on 2-D Rosenbrock with a jitted
objective, the compiled loop at <= 0.1 µs per iteration and >= 20x faster
than the Python-driven loop; multistart throughput on 1 and 2 threads; the
first call of a new process with a cold and a warm on-disk cache.

Every ratio compares two measurements of the same run.  Per-iteration times
are CPU time of this process (``time.process_time``, best of several
repeats), so other processes on a shared machine inflate them less;
multistart throughput is wall time (CPU time would add the threads up).

Run it without asv too (prints every number)::

    python benchmarks/bench_compiled.py
"""

import resource
import subprocess
import sys
import time

import numba
import numpy as np

import adaopt
from adaopt.jitted_problems import rosenbrock_fg as rosen_fg

X0 = np.array([-1.2, 1.0])


# Not cache=True: asv imports this file as ``benchmarks.bench_compiled`` and
# the command line as ``__main__``, and a cache entry written under one name
# fails to load under the other.
@numba.njit
def call_loop(x, n):
    """Evaluate ``rosen_fg`` ``n`` times in compiled code: the objective's own cost."""
    s = 0.0
    for _ in range(n):
        f, g = rosen_fg(x)
        s += f + g[0]
    return s
#: Iterations per timing of each driver (the Python loop is ~30x slower).
N_COMPILED = 1_000_000
N_PYTHON = 20_000
#: Multistart: starts x iterations per timing.
N_STARTS, N_MULTI_ITER = 64, 20_000


def _minimize(driver, n_iter):
    # gtol=0: exactly n_iter iterations and n_iter + 1 evaluations
    res = adaopt.minimize(rosen_fg, X0, jac=True,
                          options=dict(maxiter=n_iter, gtol=0.0, driver=driver))
    assert res.nit == n_iter
    return res


def per_iteration_ns(repeats=5):
    """``(compiled, python, objective alone)`` in ns per iteration, same run."""
    _minimize("compiled", 10)
    _minimize("python", 10)
    call_loop(X0, 10)
    best = {"compiled": np.inf, "python": np.inf, "objective": np.inf}
    for _ in range(repeats):
        for driver, n in (("compiled", N_COMPILED), ("python", N_PYTHON)):
            t0 = time.process_time()
            _minimize(driver, n)
            best[driver] = min(best[driver], (time.process_time() - t0) / n * 1e9)
        t0 = time.process_time()
        call_loop(X0, N_COMPILED)
        best["objective"] = min(best["objective"],
                                (time.process_time() - t0) / N_COMPILED * 1e9)
    return best["compiled"], best["python"], best["objective"]


def _multistart(starts):
    return adaopt.multistart(rosen_fg, starts, jac=True,
                             options=dict(maxiter=N_MULTI_ITER, gtol=0.0))


def multistart_iterations_per_s(threads, repeats=3):
    """Iterations per second (all starts together) of multistart on ``threads``."""
    starts = np.random.default_rng(0).uniform(-2, 2, size=(N_STARTS, 2))
    saved = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        _multistart(starts[:2])
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = _multistart(starts)
            best = min(best, time.perf_counter() - t0)
        assert int(res.statuses.max()) == 1        # every start ran all iterations
    finally:
        numba.set_num_threads(saved)
    return N_STARTS * N_MULTI_ITER / best


#: A new process: import adaopt, a jitted objective (cache=True), first minimize.
FIRST_CALL = """
import numpy as np
import adaopt
from adaopt.jitted_problems import rosenbrock_fg
adaopt.minimize(rosenbrock_fg, np.array([-1.2, 1.0]), jac=True, options=dict(maxiter=100))
"""

#: The same with an empty Numba cache (a fresh NUMBA_CACHE_DIR): everything
#: compiles, adaopt's kernels included.
FIRST_CALL_COLD = """
import os, shutil, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="adaopt-cold-")
""" + FIRST_CALL + """
shutil.rmtree(os.environ["NUMBA_CACHE_DIR"])
"""


def first_call_seconds(cold):
    """``(wall, cpu)`` seconds of a fresh interpreter running the first-call snippet.

    ``cpu`` is the child's user + system time, which other processes on a
    shared machine inflate far less than the wall time.
    """
    code = FIRST_CALL_COLD if cold else FIRST_CALL
    if not cold:
        subprocess.run([sys.executable, "-c", code], check=True)   # fill the cache
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


class CompiledDriver:
    """Time of the two drivers on 2-D Rosenbrock (jitted, jac=True)."""

    timeout = 600
    timer = time.process_time

    def setup(self):
        _minimize("compiled", 10)
        _minimize("python", 10)

    def time_compiled_1e6_iterations(self):
        _minimize("compiled", N_COMPILED)

    def time_python_2e4_iterations(self):
        _minimize("python", N_PYTHON)


class PerIteration:
    """ns per iteration of each driver, and their ratio, from one same-run measurement."""

    timeout = 600

    def setup_cache(self):
        return per_iteration_ns()

    def track_compiled_ns_per_iteration(self, measured):
        return measured[0]

    def track_python_ns_per_iteration(self, measured):
        return measured[1]

    def track_objective_ns_per_call(self, measured):
        return measured[2]

    def track_speedup(self, measured):
        return measured[1] / measured[0]

    track_compiled_ns_per_iteration.unit = "ns"
    track_python_ns_per_iteration.unit = "ns"
    track_objective_ns_per_call.unit = "ns"
    track_speedup.unit = "x"


class Multistart:
    """Throughput of multistart (64 starts x 20000 iterations) on 1 and 2 threads."""

    params = [1, 2]
    param_names = ["threads"]
    timeout = 600

    def setup(self, threads):
        if threads > numba.config.NUMBA_NUM_THREADS:
            raise NotImplementedError("not enough threads")   # asv: skipped

    def track_iterations_per_s(self, threads):
        return multistart_iterations_per_s(threads)

    track_iterations_per_s.unit = "iterations/s"


class FirstCall:
    """A new process's import + first compiled minimize, cold and warm cache."""

    timeout = 900
    number = 1
    repeat = 3

    def timeraw_warm_cache(self):
        return FIRST_CALL

    def timeraw_cold_cache(self):
        return FIRST_CALL_COLD


if __name__ == "__main__":
    compiled, python, objective = per_iteration_ns()
    print(f"2-D Rosenbrock, jitted fun with jac=True (CPU time, best of 5):")
    print(f"  compiled driver   {compiled:8.1f} ns/iteration (target <= 100)")
    print(f"  python driver     {python:8.1f} ns/iteration")
    print(f"  speedup           {python / compiled:8.1f} x (target >= 20)")
    print(f"  objective alone   {objective:8.1f} ns/call (in a compiled loop)")
    rates = {t: multistart_iterations_per_s(t) for t in (1, 2)
             if t <= numba.config.NUMBA_NUM_THREADS}
    for t, r in rates.items():
        print(f"multistart {N_STARTS} starts x {N_MULTI_ITER} iterations, {t} thread(s): "
              f"{r / 1e6:6.2f} M iterations/s (wall)")
    if 2 in rates:
        print(f"  2-thread speedup  {rates[2] / rates[1]:8.2f} x")
    for cold in (False, True):
        wall, cpu = first_call_seconds(cold)
        print(f"first call in a new process (import + minimize), "
              f"{'cold' if cold else 'warm'} cache: {wall:6.2f} s wall, {cpu:6.2f} s CPU")
