r"""Independent tasks on workers: local processes, any executor, or a Dask cluster.

:func:`adaopt.multistart` with ``workers=`` splits its starts into chunks
and runs each chunk as one task here.  This module knows nothing of
optimization; it takes a picklable function, one payload per task, and
hands each result back as it arrives (:func:`split_rows` cuts arrays into
the tasks' rows, a dask array's on its cluster), under three rules:

* **a lost worker costs only time.**  A ``concurrent.futures``
  process pool that loses a process is broken for good
  (``BrokenProcessPool``): the tasks that had not come back are run again
  on a new pool (at most :data:`MAX_RESTARTS` times in a row without a
  task finishing, so a task that kills its process every time ends the run
  instead of looping).  A Dask scheduler reschedules the tasks of a lost
  worker by itself (up to its ``distributed.scheduler.allowed-failures``,
  after which the task fails with ``KilledWorker``); no ``retries=`` is
  given, so an exception raised by a task is not run again.
* **Ctrl-C** (``KeyboardInterrupt`` while waiting) cancels every task not
  yet back and returns normally: the caller has seen every result that
  arrived and knows the rest did not.
* **an exception** from a task cancels the others and propagates; the
  results that arrived before it were handed over already.

Dask is imported only when ``workers`` is a ``distributed.Client``.
"""

import concurrent.futures
import itertools
import math
import multiprocessing
import numbers
import os
import pickle
from concurrent.futures.process import BrokenProcessPool

__all__ = ["check_workers", "worker_count", "chunk_bounds", "check_picklable",
           "is_dask_client", "is_dask_array", "split_rows", "run_tasks", "MAX_RESTARTS",
           "CHUNKS_PER_WORKER"]

#: New process pools tried in a row, none of whose tasks finished, before a
#: broken pool's ``BrokenProcessPool`` propagates.
MAX_RESTARTS = 3

#: Chunks per worker when no ``chunk_size`` is given: enough for a worker
#: that finishes early to take more, and for a lost worker to cost little.
CHUNKS_PER_WORKER = 4


def is_dask_client(workers):
    """Whether ``workers`` is a ``distributed.Client`` (without importing dask)."""
    return any(cls.__name__ == "Client" and cls.__module__.split(".")[0] == "distributed"
               for cls in type(workers).__mro__)


def is_dask_array(obj):
    """Whether ``obj`` is a ``dask.array.Array`` (without importing dask)."""
    return any(cls.__name__ == "Array" and cls.__module__.startswith("dask.array")
               for cls in type(obj).__mro__)


def check_workers(workers):
    """``workers`` checked: None, an int >= 1, an Executor or a Dask client.

    Raises
    ------
    TypeError
        ``workers`` is of none of those kinds (a bool, a string, a float).
    ValueError
        ``workers`` is an integer below 1.
    """
    if workers is None or isinstance(workers, concurrent.futures.Executor):
        return workers
    if is_dask_client(workers):
        return workers
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError("workers must be None, a number of processes, a "
                        "concurrent.futures.Executor or a dask.distributed.Client, "
                        f"got {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1 processes, got {workers!r}")
    return int(workers)


def worker_count(workers):
    """How many tasks ``workers`` runs at once, for the default chunk size.

    A Dask client's threads over all its workers; for an executor whose
    size is not public (any ``Executor``), the number of CPUs.
    """
    if isinstance(workers, int):
        return workers
    if is_dask_client(workers):
        return max(1, sum(workers.nthreads().values()))
    return os.cpu_count() or 1


def chunk_bounds(n, workers, chunk_size, arrays=()):
    """``[(start, stop), ...]``: ``n`` rows in chunks of ``chunk_size`` rows
    (the last may be shorter); by default :data:`CHUNKS_PER_WORKER` chunks
    per worker of ``workers``, or, with ``workers`` a Dask client and a dask
    array among ``arrays`` (whose first axis has the ``n`` rows), the
    non-empty blocks of the first such array along its first axis: its
    blocks then go to the tasks whole (:func:`split_rows`)."""
    lazy = [a for a in arrays if is_dask_array(a)]
    if chunk_size is None and lazy and is_dask_client(workers):
        edges = list(itertools.accumulate(lazy[0].chunks[0], initial=0))
        return [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    if chunk_size is None:
        chunk_size = math.ceil(n / (CHUNKS_PER_WORKER * worker_count(workers)))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(f"chunk_size must be None or an integer, got {chunk_size!r}")
    elif chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
    return [(i, min(i + int(chunk_size), n)) for i in range(0, n, int(chunk_size))]


def check_picklable(workers, what, obj):
    """Raise ``TypeError`` naming ``what`` if ``obj`` cannot travel to ``workers``.

    Process pools pickle with :mod:`pickle`, Dask with cloudpickle (which
    also takes lambdas and local functions); an other executor (threads,
    say) may need no pickling at all and is not checked.
    """
    if isinstance(workers, (int, concurrent.futures.ProcessPoolExecutor)):
        dumps = pickle.dumps
    elif is_dask_client(workers):
        from distributed.protocol.pickle import dumps
    else:
        return
    try:
        dumps(obj)
    except Exception as err:
        raise TypeError(f"{what} must be picklable to run on workers (a function "
                        f"defined at the top level of an importable module, a Numba "
                        f"dispatcher of one): {err}") from err


def split_rows(arrays, bounds, workers):
    """Per chunk ``(lo, hi)`` of ``bounds``, the rows ``lo:hi`` of each of ``arrays``.

    Rows of a NumPy array are its slices (views: each travels once, in its
    chunk's task).  A dask array with ``workers`` a Dask client is rechunked
    to ``bounds`` along its first axis (and made whole along the others) and
    gives a future per chunk, of its block computed on the cluster: the
    chunk's task gets the block there, and no row comes to this process.
    """
    columns = []
    for a in arrays:
        if is_dask_array(a) and is_dask_client(workers):
            blocks = a.rechunk({0: tuple(hi - lo for lo, hi in bounds),
                                **{axis: -1 for axis in range(1, a.ndim)}})
            columns.append(workers.compute(list(blocks.to_delayed().ravel())))
        else:
            columns.append([a[lo:hi] for lo, hi in bounds])
    return [tuple(column[c] for column in columns) for c in range(len(bounds))]


def run_tasks(task, payloads, workers, deliver, failed, say=None):
    """Run ``task(payload)`` for each of ``payloads`` on ``workers``.

    Parameters
    ----------
    task : callable
        A picklable function (top level of an importable module).
    payloads : list
        One argument per task.
    workers : int, concurrent.futures.Executor or distributed.Client
        As checked by :func:`check_workers` (not None).  An int starts that
        many processes (``spawn``: a fork would inherit Numba's thread
        pool, see :mod:`adaopt._threading`), shut down at the end.
    deliver : callable
        ``deliver(i, result)``, called in this thread as task ``i``'s result
        arrives, in the order they arrive.
    failed : callable
        ``failed(i, exc)``, called when task ``i`` raised ``exc``, before
        ``exc`` propagates from here.
    say : callable, optional
        Told, in a sentence, when a broken pool is replaced.

    Returns
    -------
    bool
        True when every task was delivered, False when Ctrl-C stopped the
        wait (the tasks not delivered were cancelled).
    """
    if is_dask_client(workers):
        return _run_on_dask(workers, task, payloads, deliver, failed)
    return _run_on_executor(workers, task, payloads, deliver, failed, say)


def _new_pool(size):
    return concurrent.futures.ProcessPoolExecutor(
        size, mp_context=multiprocessing.get_context("spawn"))


def _result(fut, i, failed):
    """``fut.result()``, telling ``failed`` which task raised (not a broken pool)."""
    try:
        return fut.result()
    except BrokenProcessPool:
        raise
    except Exception as exc:
        failed(i, exc)
        raise


def _run_on_executor(workers, task, payloads, deliver, failed, say):
    own = isinstance(workers, int)
    pool = _new_pool(workers) if own else workers
    left = set(range(len(payloads)))
    restarts = 0
    futures = {}
    try:
        while left:
            futures = {pool.submit(task, payloads[i]): i for i in sorted(left)}
            try:
                for fut in concurrent.futures.as_completed(futures):
                    deliver(futures[fut], _result(fut, futures[fut], failed))
                    left.discard(futures[fut])
                    restarts = 0
            except BrokenProcessPool:
                # results that came back before the pool broke are kept
                for fut, i in futures.items():
                    if i in left and fut.done() and not fut.cancelled() \
                            and fut.exception() is None:
                        deliver(i, fut.result())
                        left.discard(i)
                restarts += 1
                if restarts > MAX_RESTARTS or not left:
                    raise
                if say is not None:
                    say(f"a worker process died; running {len(left)} unfinished "
                        f"chunk(s) again on a new pool")
                if own:
                    pool.shutdown(wait=False, cancel_futures=True)
                # a pool passed in is broken for good too: go on with one of
                # our own (as many processes as CPUs), shut down at the end
                pool, own = _new_pool(workers if isinstance(workers, int) else None), True
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        return False
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    finally:
        if own:
            # not waiting: after Ctrl-C or an error, tasks already running
            # finish in their processes and are dropped
            pool.shutdown(wait=not left, cancel_futures=True)
    return True


def _run_on_dask(client, task, payloads, deliver, failed):
    from distributed import as_completed

    # pure=False: two equal payloads are two tasks, each with its own result
    futures = [client.submit(task, p, pure=False) for p in payloads]
    index = {fut.key: i for i, fut in enumerate(futures)}
    try:
        for fut in as_completed(futures):
            deliver(index[fut.key], _result(fut, index[fut.key], failed))
    except KeyboardInterrupt:
        client.cancel(futures)
        return False
    except BaseException:
        client.cancel(futures)
        raise
    return True
