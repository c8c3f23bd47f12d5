"""Parallel builds compiled in the background while the serial build runs.

A kernel's ``prange`` build takes Numba about three times as long to compile
as its serial build (2.5-3 s against 0.75 s for RMSprop's on the 2-core
development machine: the parallel lowering of the block loop), and a first
``opt.step(grad)`` on a long vector used to wait for it.  The two builds give
the same bits (:mod:`adaopt.kernels`), so a repeated call such as
:meth:`adaopt.Optimizer.step` need not wait: :func:`built` says whether a
parallel build has been compiled (or loaded from the disk cache) for the
call's types; if not, the caller runs the serial build and then
:func:`compile_in_background` compiles the parallel one on a daemon thread.
Later calls take the parallel build once it is there.

Only a guide to speed, never to the answer: a call of either build with
types that have no compiled version compiles it right there, as any Numba
function does.  A background compilation that fails is not retried in the
background: the next call takes the parallel build in the caller's thread,
which then compiles it and raises what the compilation raises, where the
user sees it.  Numba compiles under one global lock, so the background thread
and the caller never compile at once; a fork waits for the background
compilations to end (a child must not inherit a held compiler lock), and
so does the interpreter's exit: a daemon thread stopped in the middle of a
compilation could not finish writing it to the disk cache for the next
process, and one that prints at shutdown can abort the interpreter.

Set the environment variable ``ADAOPT_BACKGROUND_COMPILE=0`` (or
:data:`enabled` to False) to compile every parallel build in the call that
first needs it, as before.
"""

import atexit
import os
import threading

import numba

__all__ = ["enabled", "built", "compile_in_background", "wait"]

#: Whether parallel builds compile in the background (else :func:`built`
#: says yes at once, and the call compiles what it needs itself).
enabled = os.environ.get("ADAOPT_BACKGROUND_COMPILE", "1") != "0"

# (dispatcher, dtype of the first argument) -> the compiling thread, or
# None once the build is there (or its compilation failed)
_builds = {}
_lock = threading.Lock()


def built(kernel, args):
    """Whether ``kernel(*args)`` has been compiled here (or it compiles itself).

    True when a background compilation for the dispatcher and the first
    argument's dtype has ended (every adaopt kernel takes contiguous arrays
    of the parameters' dtype, so the dtype picks its signature), or when
    background compilation is off (:data:`enabled`): then the call compiles
    what it needs.  A dictionary lookup.
    """
    return not enabled or _builds.get((kernel, args[0].dtype), False) is None


def compile_in_background(kernel, args):
    """Start compiling ``kernel`` for the types of ``args`` on a daemon thread.

    Once per dispatcher and dtype.  The caller calls this *after* its
    serial call: a compilation started before would hold Numba's compiler
    lock while the serial build waits for it.
    """
    key = (kernel, args[0].dtype)
    with _lock:
        if key not in _builds:
            signature = tuple(numba.typeof(a) for a in args)
            thread = threading.Thread(target=_compile, args=(key, signature),
                                      name="adaopt-compile", daemon=True)
            _builds[key] = thread
            thread.start()


def _compile(key, signature):
    try:
        key[0].compile(signature)
    except Exception:  # noqa: BLE001 -- raised again by the caller's own call
        pass
    finally:
        _builds[key] = None


def wait():
    """Wait until every background compilation has ended."""
    for thread in list(_builds.values()):
        if thread is not None:
            thread.join()


def _after_fork_in_child():
    global _lock
    _lock = threading.Lock()


os.register_at_fork(before=wait, after_in_child=_after_fork_in_child)
atexit.register(wait)
