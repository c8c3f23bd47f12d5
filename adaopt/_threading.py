"""Who may start a parallel region, and when none may start at all.

adaopt's kernels come in a serial and a ``prange`` build that give bitwise
identical results (see :mod:`adaopt.kernels`), so choosing between them
changes speed, never the answer.  This module makes that choice safe under
every Numba threading layer.  Measured with numba 0.68.1 on Linux (the
evidence is in ``docs/reliability.rst`` and ``tests/test_reliability_*``):

* ``workqueue`` (the layer left when neither TBB nor OpenMP loads) aborts
  the whole process when two Python threads launch parallel regions at once.
* ``omp`` with GNU OpenMP, the layer a plain ``pip install`` gets on Linux
  (numba finds the system ``libgomp``; pip's ``tbb`` wheel puts ``libtbb``
  where numba's ``tbbpool`` does not look), is thread-safe, but a process
  forked after a parallel region ran is terminated as soon as it launches
  one; a ``multiprocessing`` fork pool then respawns dying workers forever.
* ``tbb`` is safe for both, but cannot be relied on being there.

adaopt does not select a threading layer: that is a process-wide setting
that would change the user's own Numba code.  Instead every parallel launch
goes through :func:`run_kernel`, which

1. lets at most one adaopt parallel region run at a time in a process; a
   thread that finds one running takes the serial build instead (the
   kernels release the GIL, so threads still run at the same time, and
   Python threads do not multiply OpenMP teams on the same cores);
2. runs only serial builds in a process forked from a parent whose GNU
   OpenMP pool had started (the parallel speedup is lost there, nothing
   else: a pool of processes already spreads the work over the cores).

The cost is one uncontended non-blocking lock acquire and release and one
more Python call per parallel step: about 0.4 us (``run_kernel`` around two
no-op functions took 460 ns against 97 ns for the bare call, on the 2-core
development machine), some 2% of a step at ``kernels.PARALLEL_THRESHOLD``
elements (20 us); serial steps do not pass through here at all.
"""

import contextlib
import os
import threading

import numba

__all__ = ["run_kernel", "parallel_region", "parallel_allowed", "threading_layer"]

# One adaopt parallel region at a time per process (see point 1 above).
_region = threading.Lock()

# True in a process forked after GNU OpenMP started (see point 2 above).
# Inherited on a further fork, which is right: numba compares the pid
# against the process that started the pool, so grandchildren die too.
_fork_unsafe = False


def threading_layer():
    """Return the Numba threading layer in use, or None before the first launch.

    Numba picks the layer at the first parallel launch in the process
    (by anyone), and keeps it for the life of the process.
    """
    try:
        return numba.threading_layer()
    except ValueError:
        return None


def _gnu_openmp_started():
    if threading_layer() != "omp":
        return False
    from numba.np.ufunc import omppool

    # Intel's and LLVM's OpenMP runtimes are fork-safe; GNU's is not.
    return getattr(omppool, "openmp_vendor", "GNU") == "GNU"


def _after_fork_in_child():
    global _region, _fork_unsafe
    # A lock held by a parent thread that does not exist here would never
    # be released: start afresh.
    _region = threading.Lock()
    if _gnu_openmp_started():
        _fork_unsafe = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_allowed():
    """Whether this process may launch a parallel region at all."""
    return not _fork_unsafe


def run_kernel(parallel_kernel, serial_kernel, *args):
    """Call ``parallel_kernel(*args)`` if that is safe now, else ``serial_kernel(*args)``.

    The two kernels must compute the same thing (adaopt's serial and
    parallel builds give the same bits).  The parallel one runs only while
    this thread holds the process-wide region lock, taken without waiting.
    """
    if not _fork_unsafe:
        region = _region
        if region.acquire(False):
            try:
                return parallel_kernel(*args)
            finally:
                region.release()
    return serial_kernel(*args)


@contextlib.contextmanager
def parallel_region(wanted=True):
    """Hold the region lock for a whole run; yields whether it is held.

    For a driver whose every step may launch parallel regions (the Python
    loop over a long vector): it takes the lock once, without waiting, and
    then calls parallel builds directly.  Yields False (take the serial
    builds, the same bits) when ``wanted`` is false, the process may not
    launch parallel regions, or another thread holds the lock.
    """
    region = _region
    held = bool(wanted) and not _fork_unsafe and region.acquire(False)
    try:
        yield held
    finally:
        if held:
            region.release()
