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
  per-user directory under the system temp directory (created mode 0700);
* never loads code another user could have written: cache entries are
  pickles, and loading one runs code.  A directory is used only if it
  passes :func:`unsafe_dir` (this user's, nobody else can write to it or to
  a directory above it), a cache file is loaded only if it passes
  :func:`unsafe_file` (a regular file of this user's that nobody else can
  write); a refused ``NUMBA_CACHE_DIR`` gives one ``RuntimeWarning``;
* is used only with the Numba releases it was tested on (see
  :func:`numba_tested`): it subclasses private classes of
  ``numba.core.caching``, so with any other Numba adaopt compiles in memory;
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
import re
import stat
import tempfile
import threading
import types as pytypes
import warnings

import numba

__all__ = ["njit_cached", "rebind", "private_cache_dir", "built_once", "numba_tested",
           "unsafe_dir", "unsafe_file"]

#: The Numba releases the cache machinery has passed the suite on, as
#: ``(major, minor)`` bounds, lower inclusive, upper exclusive: the range
#: pyproject.toml requires (``tests/test_cache_safety.py`` checks they agree).
TESTED_NUMBA = ((0, 68), (0, 69))


def numba_tested(version=None):
    """Whether Numba ``version`` (default: the installed one) is in :data:`TESTED_NUMBA`.

    The disk cache rests on private parts of ``numba.core.caching`` (its
    locator and cache classes, a payload slot of ``CompileResult._reduce``,
    the dispatcher's ``_cache``): with another release (installed despite
    the requirement) :func:`njit_cached` compiles in memory instead.
    """
    found = re.match(r"(\d+)\.(\d+)", numba.__version__ if version is None else version)
    if found is None:
        return False
    low, high = TESTED_NUMBA
    return low <= (int(found.group(1)), int(found.group(2))) < high


#: Permission bits that let someone else replace a file or a directory's entries.
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


def unsafe_dir(path):
    """Why cache files in directory ``path`` could be someone else's, or None.

    Safe is: ``path`` is a directory owned by this (effective) user that no
    one else can write to, and every directory above it (along the path as
    given and along its resolved real path) belongs to this user or root and
    is writable by no one else, unless it has the sticky bit (``/tmp``),
    where others cannot rename or remove what is ours.  A group-writable
    directory counts as unsafe (whoever else is in the group).  Always None
    where there is no POSIX ownership (Windows).
    """
    if not hasattr(os, "geteuid"):
        return None
    euid = os.geteuid()
    for full in dict.fromkeys((os.path.abspath(path), os.path.realpath(path))):
        try:
            st = os.stat(full)
        except OSError as err:
            return f"{full}: {err.strerror}"
        if not stat.S_ISDIR(st.st_mode):
            return f"{full} is not a directory"
        if st.st_uid != euid:
            return f"{full} belongs to uid {st.st_uid}"
        if st.st_mode & _OTHERS_WRITE:
            return f"{full} is writable by other users"
        why = _unsafe_chain(full, euid)
        if why is not None:
            return why
    return None


def _unsafe_chain(full, euid):
    """Why someone else could replace ``full`` or a directory above it, or None."""
    part = full
    while True:
        try:
            st = os.lstat(part)
        except OSError as err:
            return f"{part}: {err.strerror}"
        if st.st_uid not in (euid, 0):
            return f"{part} belongs to uid {st.st_uid}"
        if (stat.S_ISDIR(st.st_mode) and st.st_mode & _OTHERS_WRITE
                and not st.st_mode & stat.S_ISVTX):
            return f"{part} is writable by other users"
        parent = os.path.dirname(part)
        if parent == part:
            return None
        part = parent


def _unsafe_to_create(path):
    """Why directories must not be created down to ``path``, or None.

    The deepest existing one, and every one above it, must be safe above a
    cache directory (see :func:`unsafe_dir`); nothing is created in a
    directory someone else can write to.
    """
    if not hasattr(os, "geteuid"):
        return None
    existing = os.path.abspath(path)
    while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    for full in dict.fromkeys((existing, os.path.realpath(existing))):
        why = _unsafe_chain(full, os.geteuid())
        if why is not None:
            return why
    return None


def unsafe_file(path):
    """Why cache file ``path`` could be someone else's, or None (also if missing).

    Safe is a regular file (not a link) owned by this user that no one else
    can write.  Its directory is checked by :func:`unsafe_dir`.
    """
    if not hasattr(os, "geteuid"):
        return None
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"{path}: {err.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    if st.st_uid != os.geteuid():
        return f"{path} belongs to uid {st.st_uid}"
    if st.st_mode & _OTHERS_WRITE:
        return f"{path} is writable by other users"
    return None


def _make_dirs(path):
    """``os.makedirs(path)``, each new directory mode 0755 whatever the umask.

    Numba's own creates them ``0777 & ~umask``: with a umask of 002 they
    would be group-writable and so refused by :func:`unsafe_dir`.
    """
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o755)   # the umask only takes bits away


_warned = set()
_warned_lock = threading.Lock()


def _warn_once(message):
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def private_cache_dir():
    """Return the per-user fallback cache directory, or None if unsafe.

    ``<tempdir>/adaopt-numba-cache-<uid>``, created mode 0700.  Cache files
    are unpickled on load, so the directory is used only if it is a real
    directory (not a link) that passes :func:`unsafe_dir`.
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
    if not stat.S_ISDIR(st.st_mode) or unsafe_dir(path) is not None:
        return None
    return path


@functools.lru_cache(maxsize=None)
def package_digest():
    """SHA-256 of every adaopt source file, part of every cache key.

    Numba checks only the source file of the cached function, but a cached
    function holds a copy of every compiled function it calls: after an
    upgrade that changed ``kernels.py`` and not ``_iteration.py``, the cached
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


@functools.lru_cache(maxsize=None)
def _function_cache_class():
    """Build adaopt's ``FunctionCache`` subclass (only for a tested Numba).

    Built on first use rather than at import, so that a Numba whose private
    ``numba.core.caching`` differs cannot break ``import adaopt``.
    """
    from numba.core import caching

    class _SafeLocator:
        """Mixin for a Numba locator: create and use only safe directories."""

        def ensure_cache_path(self):
            # Called by the locator's from_function and before every save.
            path = self.get_cache_path()
            why = _unsafe_to_create(path)
            if why is None:
                _make_dirs(path)
                why = unsafe_dir(path)
            if why is not None:
                if isinstance(self, caching.UserProvidedCacheLocator):
                    _warn_once(f"adaopt does not use NUMBA_CACHE_DIR for its compiled "
                               f"code: {why} (cache files are pickles, loading one "
                               f"runs code)")
                raise OSError(why)
            tempfile.TemporaryFile(dir=path).close()

        @classmethod
        def from_function(cls, py_func, py_file):
            self = super().from_function(py_func, py_file)
            if self is not None:
                try:
                    # (the zip locator's from_function checks nothing)
                    self.ensure_cache_path()
                except OSError:
                    return None
            return self

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

    def safe(locator):
        return type(f"_Safe{locator.__name__}", (_SafeLocator, locator), {})

    class _CacheImpl(caching.CompileResultCacheImpl):
        _locator_classes = [safe(c) for c in (*caching.CompileResultCacheImpl._locator_classes,
                                              _PrivateTempCacheLocator)]

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

    class _CheckedCacheFile(caching.IndexDataCacheFile):
        """Index and data files loaded only if nobody else could have written them."""

        def _load_index(self):
            if unsafe_file(self._index_path) is not None:
                return {}           # a miss; the next save replaces the index
            return super()._load_index()

        def _load_data(self, name):
            why = unsafe_file(self._data_path(name))
            if why is not None:
                raise OSError(why)  # load() takes it for a miss
            return super()._load_data(name)

        @contextlib.contextmanager
        def _open_for_write(self, filepath):
            # Numba's, with mode 0644 whatever the umask (a group-writable
            # file of ours would be refused on load).
            tmpname = f"{filepath}.tmp.{os.urandom(8).hex()}"
            fd = os.open(tmpname, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as f:
                    yield f
                os.replace(tmpname, filepath)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmpname)
                raise

    class _ForgivingFunctionCache(caching.FunctionCache):
        """A FunctionCache for which an unreadable or unwritable file is a miss."""

        _impl_class = _CacheImpl

        def __init__(self, py_func):
            super().__init__(py_func)
            # Locators named in NUMBA_CACHE_LOCATOR_CLASSES replace ours.
            why = unsafe_dir(self._cache_path)
            if why is not None:
                raise RuntimeError(f"cannot cache {py_func!r}: {why}")
            old = self._cache_file
            self._cache_file = _CheckedCacheFile(self._cache_path, self._impl.filename_base,
                                                 old._source_stamp)

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

    return _ForgivingFunctionCache

_PLAIN = (bool, int, float, str, type(None))


def _name_flavour(func):
    """Give each flavour of a closure factory its own, stable name.

    Numba names compiled code after the function's qualified name plus a
    counter of functions created *in this process*.  The flavours of one
    factory (the clip-norm sums' two builds) share the qualified name, so
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


def rebind(func, suffix, **names):
    """A copy of the plain function ``func`` whose globals ``names`` are replaced.

    The copy gets its own name (``func.__name__ + suffix``), so that Numba
    caches it apart from ``func``: the same source compiled against other
    callees (a serial or a parallel kernel, an inlined one), without a
    closure over a dispatcher (which gets a new cache key in every process).
    """
    scope = dict(func.__globals__, **names)
    copy = pytypes.FunctionType(func.__code__, scope, func.__name__ + suffix,
                                func.__defaults__, func.__closure__)
    copy.__qualname__ = func.__qualname__ + suffix
    copy.__doc__ = func.__doc__
    return copy


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
    if not numba_tested():
        low, high = (".".join(map(str, v)) for v in TESTED_NUMBA)
        _warn_once(f"adaopt's compile cache is off: it was tested with numba >={low},"
                   f"<{high}, not {numba.__version__}")
    else:
        try:
            dispatcher._cache = _function_cache_class()(func)
        except RuntimeError:
            # No safe writable cache location at all: run uncached, as cache=False.
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
