"""One (f, g) evaluation of a logistic log-loss over 10^7 rows: chunked_objective
against the same sums as dask.array expressions and in memory.

The data: ``N_ROWS`` rows of ``N_FEATURES`` standard normal float64 features
(640 MB for 10^7 x 8) and 0/1 labels, in ``N_CHUNKS`` row blocks persisted
on a ``LocalCluster`` of two worker processes with one thread and one Numba
thread each.  The contenders, each computing f and g at the same ``w``:

* ``chunked_objective`` with :func:`adaopt.jitted_problems.logistic_block`
  (Numba, one pass over each block) and with :func:`numpy_block` (the
  NumPy expressions below, per block): one task graph per evaluation,
  only ``(f, g)`` gathered;
* the dask.array expressions ``z = X @ w``,
  ``f = (logaddexp(0, z) - y z).sum()``, ``g = X.T @ (sigmoid(z) - y)``,
  ``dask.compute(f, g)`` (one graph, z shared);
* in memory, in this process, on the gathered arrays: the same NumPy
  expressions (NumPy's BLAS with its own threads) and ``logistic_block``
  (one thread).

Each is timed ``REPEATS`` times, the contenders taking turns so that all
see the same machine; the table gives the best and the median.  Every
cluster timing follows a warm-up call (compiling ``logistic_block`` on the
workers).  docs/guide/scaling.rst quotes the table; run it as::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_chunked.py

(an optional argument sets the rows, for a quick try).

``ChunkedEvaluation`` is the same measurement for asv (``time_evaluation``
per contender; its setup starts a cluster and makes the data, some
seconds).
"""

import os
import time

import numpy as np

import adaopt
from adaopt.jitted_problems import logistic_block

N_ROWS = 10_000_000
N_FEATURES = 8
N_CHUNKS = 16
REPEATS = 7
W = np.linspace(-0.5, 0.5, N_FEATURES)
CONTENDERS = ["chunked_objective, Numba block", "chunked_objective, NumPy block",
              "dask.array expressions", "NumPy in memory", "Numba in memory (1 thread)"]


def sigmoid(z):
    # 0.5 (1 + tanh(z / 2)): no overflow for any z
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def numpy_block(w, X, y):
    """The log-loss of the rows and its gradient, in NumPy expressions."""
    z = X @ w
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), X.T @ (sigmoid(z) - y)


def dask_expressions(w, X, y):
    """The same f and g as dask.array expressions, computed in one graph."""
    import dask
    import dask.array as da

    z = X @ w
    f = (da.logaddexp(0.0, z) - y * z).sum()
    g = X.T @ (0.5 * (1.0 + da.tanh(0.5 * z)) - y)
    return dask.compute(f, g)


def make_data(client, n_rows=N_ROWS, n_features=N_FEATURES, n_chunks=N_CHUNKS):
    """``(X, y)`` made and persisted on the cluster, ``n_chunks`` row blocks."""
    import dask.array as da

    rows = -(-n_rows // n_chunks)
    rng = da.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features), chunks=(rows, n_features))
    w_true = np.linspace(-1.0, 1.0, n_features)
    p = 0.5 * (1.0 + da.tanh(0.5 * (X @ w_true)))
    y = (rng.random(n_rows, chunks=rows) < p).astype(np.float64)
    return client.persist([X, y])


def start_cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    return cluster, Client(cluster)


def contenders(client, X, y):
    """``{name: evaluate()}``, every one warmed up once (and checked)."""
    if __name__ != "__main__":
        # under asv the workers cannot import this module: numpy_block
        # travels by value (as it does from a __main__ script)
        import sys

        import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    chunked = adaopt.chunked_objective(logistic_block, X, y, client=client)
    chunked_np = adaopt.chunked_objective(numpy_block, X, y, client=client)
    Xn, yn = client.compute([X, y], sync=True)
    runs = dict(zip(CONTENDERS, [
        lambda: chunked(W),
        lambda: chunked_np(W),
        lambda: dask_expressions(W, X, y),
        lambda: numpy_block(W, Xn, yn),
        lambda: logistic_block(W, Xn, yn),
    ]))
    ref = numpy_block(W, Xn, yn)
    for name, run in runs.items():
        f, g = run()
        # the same sums in other orders: far below 1e-9 relative
        assert abs(f - ref[0]) <= 1e-9 * abs(ref[0]), (name, f, ref[0])
        assert np.allclose(g, ref[1], rtol=1e-9, atol=1e-9 * np.abs(ref[1]).max()), name
    return runs


def measure(runs, repeats=REPEATS):
    """``{name: [seconds, ...]}``: ``repeats`` rounds, every contender once per round."""
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def format_table(times, n_rows=N_ROWS):
    """The table docs/guide/scaling.rst quotes (milliseconds per evaluation)."""
    base = np.median(times[CONTENDERS[0]])
    lines = [f"{f'one (f, g), {n_rows:.0e} x {N_FEATURES}':34s}"
             f"  {'best':>9s}  {'median':>9s}  {'median / chunked':>16s}"]
    for name, t in times.items():
        lines.append(f"{name:34s}  {1e3 * min(t):7.0f} ms  {1e3 * np.median(t):7.0f} ms"
                     f"  {np.median(t) / base:15.2f}x")
    return "\n".join(lines)


def main(n_rows=N_ROWS):
    cluster, client = start_cluster()
    try:
        X, y = make_data(client, n_rows)
        runs = contenders(client, X, y)
        times = measure(runs)
    finally:
        client.close()
        cluster.close()
    print(f"{n_rows} rows x {N_FEATURES} float64 features in {N_CHUNKS} blocks; "
          f"LocalCluster of 2 workers x 1 thread; {os.cpu_count()} CPUs; "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}; "
          f"{REPEATS} rounds")
    print(format_table(times, n_rows))


class ChunkedEvaluation:
    """asv: one (f, g) evaluation per contender, at ``N_ROWS`` rows."""

    params = [CONTENDERS]
    param_names = ["contender"]
    timeout = 600
    number = 1
    repeat = REPEATS

    def setup(self, contender):
        self.cluster, self.client = start_cluster()
        X, y = make_data(self.client)
        self.run = contenders(self.client, X, y)[contender]

    def teardown(self, contender):
        self.client.close()
        self.cluster.close()

    def time_evaluation(self, contender):
        self.run()


if __name__ == "__main__":
    import sys

    # a smaller run to try it: python benchmarks/bench_chunked.py 100000
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N_ROWS)
