"""One line on stderr when adaopt first compiles in a process.

The first use of a front end compiles its kernels, which takes seconds; a
newcomer otherwise watches a silent pause.  Numba announces every real
compilation (not a load from the disk cache) as a ``numba:compile`` event
(:mod:`numba.core.event`); this listener says, once per process and only
for adaopt's own functions, what is being compiled and whether it will be
cached.  Only an outermost compilation counts: the functions compiled
inside it are part of it, and a user's own Numba function (one calling
:func:`adaopt.rmsprop_njit`, say) is the user's to announce, so neither it
nor what it pulls in of adaopt is ever announced.

Set the environment variable ``ADAOPT_COMPILE_NOTICE=0`` to silence it.
"""

import os
import sys
import threading

from numba.core import event

__all__ = ["install"]

#: What the user called, by the name of the function being compiled.
_WHAT = (
    ("_single_template", "the compiled minimize driver for your objective"),
    ("_multi_template", "the compiled multistart driver for your objective"),
    ("_advance", "the minimize iteration"),
    ("from_python", "the njit entry point's call from Python"),
    ("_fused_step_loop_", "the {} step kernel"),   # _fused_step_loop_<Title>_<flavour>_...
    ("step_scalars", "the preparation of a step's scalars"),
    ("sumsq", "the clip_norm kernel"),
    ("_clip_scale", "the clip_norm kernel"),
)


def _describe(dispatcher):
    name = getattr(dispatcher.py_func, "__name__", "")
    for prefix, what in _WHAT:
        if name.startswith(prefix):
            return what.format(name[len(prefix):].split("_")[0])
    return name


def _cached_on_disk(dispatcher):
    # Numba's NullCache stands for "no disk cache" (not cacheable, or no
    # writable cache directory): then say it compiles in every process.
    return type(getattr(dispatcher, "_cache", None)).__name__ != "NullCache"


class _FirstCompileNotice(event.Listener):
    def __init__(self, out):
        self._out = out
        self._lock = threading.Lock()
        self.said = False
        # Numba compiles under one global lock, so nested compilations (what
        # a function calls) start and end inside their caller's, one thread
        # at a time: a counter tells the outermost one.
        self._depth = 0

    def on_start(self, ev):
        self._depth += 1
        if self._depth != 1 or self.said:
            return
        dispatcher = (ev.data or {}).get("dispatcher")
        # a function made by exec() without __name__ in its globals has
        # __module__ None: not adaopt's (a listener that raises would break
        # the compilation it listens to)
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", None)
        if not (isinstance(module, str) and module.startswith("adaopt.")):
            return
        with self._lock:
            if self.said:
                return
            self.said = True
        later = ("it is cached on disk, so later runs skip this"
                 if _cached_on_disk(dispatcher)
                 else "it cannot be cached on disk here, so each new process compiles it")
        print(f"adaopt: compiling {_describe(dispatcher)} (first use, a few seconds; "
              f"{later})", file=self._out(), flush=True)

    def on_end(self, ev):
        self._depth -= 1


_listener = None


def install(out=lambda: sys.stderr):
    """Register the listener once (unless ``ADAOPT_COMPILE_NOTICE=0``)."""
    global _listener
    if _listener is None and os.environ.get("ADAOPT_COMPILE_NOTICE", "1") != "0":
        _listener = _FirstCompileNotice(out)
        event.register("numba:compile", _listener)
    return _listener
