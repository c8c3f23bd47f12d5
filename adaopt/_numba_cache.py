"""On-disk caching of adaopt's compiled functions that never breaks a step.

``numba.njit(cache=True)`` has two failure modes that reach the user
(numba 0.68.1, reproduced by ``tests/test_reliability_installs.py``):

* with the package directory read-only (site-packages owned by root) and no
  writable home (a service account, a container user, ``HOME=/``) and no
  ``NUMBA_CACHE_DIR``, creating the dispatcher raises ``RuntimeError:
  cannot cache function ...: no locator available``;
* a corrupt or truncated cache file (a full disk, a copy gone wrong, a
  crash while writing) makes the first call raise whatever unpickling the
  garbage raises (``UnpicklingError``, ``EOFError``, ``ValueError``...).

:func:`njit_cached` builds a dispatcher whose cache

* looks where Numba looks (``NUMBA_CACHE_DIR``, the package's
  ``__pycache__``, the user-wide cache directory), and then in a private
  per-user directory under the system temp directory (created mode 0700
  and used only if this user owns it and nobody else can write to it);
* treats a cache file it cannot read as a miss: it compiles afresh and
  overwrites the index;
* treats a cache it cannot write as "not cached" rather than an error;
* remembers, for a cached parallel function, that it needs Numba's
  threading layer started, so that a serial function calling it (the
  minimize driver) can be loaded from the cache in a new process (Numba
  drops this, and the load aborts the process with ``LLVM ERROR: Symbol
  not found: allocate_sched``);
* is keyed on every adaopt source file, not only the function's own (see
  :func:`package_digest`);
* names each flavour of a closure factory apart (see :func:`_name_flavour`),
  so cached flavours never share a symbol;
* compiles without caching when there is nowhere to write at all.

Only adaopt's own dispatchers get this cache; users' Numba functions keep
Numba's behaviour.
"""

import contextlib
import functools
import hashlib
import os
import stat
import tempfile
import threading

import numba
from numba.core import caching

__all__ = ["njit_cached", "private_cache_dir", "built_once"]


def private_cache_dir():
    """Return the per-user fallback cache directory, or None if unsafe.

    ``<tempdir>/adaopt-numba-cache-<uid>``, created mode 0700.  Cache files
    are unpickled on load, so the directory is used only if it is a real
    directory owned by this user and writable by nobody else.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the user-wide locator is always writable
        return None
    path = os.path.join(tempfile.gettempdir(), f"adaopt-numba-cache-{getuid()}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    if (not stat.S_ISDIR(st.st_mode) or st.st_uid != getuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return None
    return path


class _PrivateTempCacheLocator(caching._SourceFileBackedLocatorMixin,
                               caching._CacheLocator):
    """Last resort: the private per-user directory of :func:`private_cache_dir`."""

    def __init__(self, py_func, py_file, base):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(base, self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        base = private_cache_dir()
        if base is None or not os.path.exists(py_file):
            return None
        self = cls(py_func, py_file, base)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [*caching.CompileResultCacheImpl._locator_classes,
                        _PrivateTempCacheLocator]

    # Payload slot of ``reload_init`` in ``CompileResult._reduce``.
    _RELOAD_INIT = 7

    def rebuild(self, target_context, payload):
        # A parallel function loaded from the cache forgets that it needs the
        # threading layer started (its library's ``_reload_init`` stays
        # empty).  A serial function that calls it, compiled afresh, then
        # inherits nothing, is cached without it, and in the next process
        # loading it aborts with "LLVM ERROR: Symbol not found:
        # allocate_sched".  Give the rebuilt library back its reload hooks.
        cres = super().rebuild(target_context, payload)
        cres.library._reload_init.update(payload[self._RELOAD_INIT])
        return cres

    def reduce(self, cres):
        # Save every hook of the linked libraries (belt and braces for the
        # above: a caller's own list may miss what its callees need).
        payload = list(super().reduce(cres))
        hooks = list(payload[self._RELOAD_INIT])
        hooks += [f for f in cres.library._reload_init if f not in hooks]
        payload[self._RELOAD_INIT] = hooks
        return tuple(payload)


@functools.lru_cache(maxsize=None)
def package_digest():
    """SHA-256 of every adaopt source file, part of every cache key.

    Numba checks only the source file of the cached function, but a cached
    function holds a copy of every compiled function it calls: after an
    upgrade that changed ``kernels.py`` and not ``driver.py``, the cached
    minimize driver would still run the old kernel.  Keying on the package
    invalidates every adaopt cache entry when any source that can hold
    compiled code changes (the modules that mention numba; editing a pure
    Python front end does not force a recompile).
    """
    root = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for name in sorted(os.listdir(root)):
        if name.endswith(".py"):
            with open(os.path.join(root, name), "rb") as f:
                source = f.read()
            if b"numba" in source:
                h.update(name.encode() + b"\0" + source)
    return h.hexdigest()


class _ForgivingFunctionCache(caching.FunctionCache):
    """A FunctionCache for which an unreadable or unwritable file is a miss."""

    _impl_class = _CacheImpl

    def _index_key(self, sig, codegen):
        return (*super()._index_key(sig, codegen), package_digest())

    @contextlib.contextmanager
    def _guard_against_spurious_io_errors(self):
        # Numba's own hook around every load and save (it forgives EACCES on
        # Windows only).  Any error here means the cache is unusable, never
        # that the function is: compile afresh.
        try:
            yield
        except Exception:
            # The next save writes a fresh index (and overwrites the data
            # files it names) instead of failing on the broken one again.
            with contextlib.suppress(OSError):
                os.remove(self._cache_file._index_path)


_PLAIN = (bool, int, float, str, type(None))


def _name_flavour(func):
    """Give each flavour of a closure factory its own, stable name.

    Numba names compiled code after the function's qualified name plus a
    counter of functions created *in this process*.  The flavours of one
    factory (``_make_step_loop``'s eight loops) share the qualified name, so
    two flavours compiled by different processes can get the same symbol;
    a compiled caller that links both from the cache (the minimize driver's
    ``advance``) then silently calls the wrong one.  Seen with numba 0.68.1:
    ``minimize`` with plain options returned a centered run's result.  The
    closure's plain values (the flavour flags) now go into the name, the
    same in every process.
    """
    cells = func.__closure__ or ()
    flavour = tuple(c.cell_contents for c in cells
                    if isinstance(c.cell_contents, _PLAIN))
    if flavour:
        digest = hashlib.sha1(repr(flavour).encode()).hexdigest()[:10]
        func.__name__ = f"{func.__name__}_{digest}"
        func.__qualname__ = f"{func.__qualname__}_{digest}"


def njit_cached(func, signatures=None, **options):
    """``numba.njit(signatures, cache=True, **options)(func)`` with a cache that cannot fail.

    See the module docstring.  Without ``signatures`` compilation stays lazy
    (nothing is compiled here); with them, each is compiled (or loaded from
    the cache) now and no other is accepted, as ``numba.njit(signatures)``
    does.
    """
    _name_flavour(func)
    if numba.config.DISABLE_JIT:
        # NUMBA_DISABLE_JIT=1 (debugging): numba.njit gives back the plain
        # function, which has nothing to compile or cache; it runs as Python.
        return func
    dispatcher = numba.njit(**options)(func)
    try:
        dispatcher._cache = _ForgivingFunctionCache(func)
    except RuntimeError:
        # No writable cache location at all: run uncached, as cache=False.
        pass
    if signatures is not None:
        for sig in signatures:
            dispatcher.compile(sig)
        dispatcher.disable_compile()
    return dispatcher


_build_lock = threading.RLock()  # re-entrant: one build may ask for another


def built_once(table, key, build):
    """Return ``table[key]``, calling ``build()`` to fill it the first time.

    The tables of compiled functions (kernel flavours, minimize iterations)
    are filled lazily; the lock keeps two threads from building, and so
    compiling, the same entry twice.
    """
    found = table.get(key)
    if found is None:
        with _build_lock:
            found = table.get(key)
            if found is None:
                found = table[key] = build()
    return found
