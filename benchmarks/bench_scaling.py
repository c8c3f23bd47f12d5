"""multistart on two single-threaded Dask workers against one local thread.

Measures (docs/guide/scaling.rst quotes the output):

* the compiled multistart of 32 Rosenbrock starts, ``N_ITER`` iterations
  each (``gtol=0``: every start runs them all), on one Numba thread in this
  process and on a ``LocalCluster`` of two worker processes with one thread
  and one Numba thread each, default chunks (4 per worker: 8 of 4 starts);
* the overhead of one chunk, submit to result: a multistart of one start
  and one iteration on the cluster (best of several; the local run of the
  same takes microseconds), and per chunk when 32 one-iteration chunks go
  out at once.

Every cluster timing is after a warm-up that compiled the objective on the
workers.  Not an asv benchmark (it starts a cluster); run it as::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_scaling.py
"""

import os
import time

import numba
import numpy as np

import adaopt
from adaopt.jitted_problems import rosenbrock_fg

N_STARTS = 32
N_ITER = 1_000_000
OPTIONS = dict(lr=1e-4, maxiter=N_ITER, gtol=0.0)
STARTS = np.random.default_rng(0).uniform(-2.0, 2.0, size=(N_STARTS, 2))


def best_of(repeats, run):
    """The shortest wall time of ``repeats`` calls of ``run()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    from distributed import Client, LocalCluster

    numba.set_num_threads(1)
    one = dict(options=dict(lr=1e-4, maxiter=1), jac=True)
    local = adaopt.multistart(rosenbrock_fg, STARTS, jac=True, options=OPTIONS)
    t_local = best_of(3, lambda: adaopt.multistart(rosenbrock_fg, STARTS, jac=True,
                                                   options=OPTIONS))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"}) as cluster, \
            Client(cluster) as client:
        res = adaopt.multistart(rosenbrock_fg, STARTS, jac=True, options=OPTIONS,
                                workers=client)
        assert all(np.array_equal(res[k], local[k]) for k in ("xs", "funs", "statuses"))
        t_dask = best_of(3, lambda: adaopt.multistart(
            rosenbrock_fg, STARTS, jac=True, options=OPTIONS, workers=client))
        t_chunk = best_of(20, lambda: adaopt.multistart(
            rosenbrock_fg, STARTS[:1], workers=client, **one))
        t_many = best_of(3, lambda: adaopt.multistart(
            rosenbrock_fg, STARTS, workers=client, chunk_size=1, **one)) / N_STARTS
    t_inproc = best_of(20, lambda: adaopt.multistart(rosenbrock_fg, STARTS[:1], **one))
    print(f"{N_STARTS} starts x {N_ITER} iterations, compiled multistart "
          f"(NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs)")
    print(f"  1 local thread:                 {t_local:7.3f} s")
    print(f"  2 Dask workers x 1 thread:      {t_dask:7.3f} s   "
          f"speedup {t_local / t_dask:.2f}x")
    print(f"  one chunk, submit to result:    {t_chunk * 1e3:7.2f} ms   "
          f"(in process: {t_inproc * 1e3:.2f} ms)")
    print(f"  per chunk, 32 chunks at once:   {t_many * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
