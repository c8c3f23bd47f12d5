r"""A name for the compiled code of a jitted objective, or None when none is provable.

The compiled drivers are cached on disk under a name that covers everything
Numba compiles into them (:func:`objective_digest`): the module, qualified
name, bytecode, options and source-file stamp of the objective and of every
jitted function it calls, in any module; the values of the globals, closure
cells and defaults they read (numbers and strings, NumPy arrays by dtype,
shape and contents, tuples of those; objects of numpy, math, cmath, numba
and adaopt by name and version); and adaopt's own sources.  A driver
compiled against other values would return their answer, so anything that
cannot be hashed gives None: the driver is then compiled in memory only.
"""

import dis
import hashlib
import importlib
import inspect
import os
import sys
import types as pytypes

import numpy as np
from numba import types

from . import _numba_cache
from ._validation import is_jitted

__all__ = ["objective_digest"]

#: Values Numba freezes into compiled code that are hashed by their repr.
_PLAIN_VALUES = (bool, int, float, complex, str, bytes, type(None))
#: Modules whose objects a cached objective may name: they change only with
#: their version (adaopt's own with its sources, see package_digest).
_TRUSTED_MODULES = ("builtins", "math", "cmath", "numpy", "numba", "adaopt")


class _Unprovable(Exception):
    """The objective depends on something whose identity cannot be hashed."""


def _module_stamp(name):
    """The version under which module ``name`` (a trusted one) is hashed."""
    root = name.partition(".")[0]
    if root == "adaopt":
        return _numba_cache.package_digest()
    if root in ("numpy", "numba"):
        return __import__(root).__version__
    return sys.version          # builtins, math, cmath: part of the interpreter


def _trusted_name(value):
    """``module.qualname@version`` of a trusted module's own object, else None.

    A module is trusted by name; any other object only if its module is
    trusted and names it so (``numpy.sqrt``, ``math.pi`` reached as
    ``math.pi`` is the module ``math``), which rules out an instance or a
    function merely created by trusted code.
    """
    if isinstance(value, pytypes.ModuleType):
        module, qualname = value.__name__, ""
    else:
        module = getattr(value, "__module__", None)
        qualname = getattr(value, "__qualname__", None)
        if not isinstance(qualname, str):
            return None
    if not isinstance(module, str) or module.partition(".")[0] not in _TRUSTED_MODULES:
        return None
    if qualname:
        try:
            found = importlib.import_module(module)   # already imported: its owner
        except ImportError:
            return None
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if found is not value:
            return None
    return f"{module}:{qualname}@{_module_stamp(module)}"


def _global_names(code, names):
    """Add to ``names`` the globals ``code`` and its nested code objects load."""
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            _global_names(const, names)
    return names


def _hash_value(h, value, seen):
    """Feed what Numba freezes of ``value`` (a global, cell or default) into ``h``.

    Raises :class:`_Unprovable` for anything else: a Python function that is
    not jitted, an object, a module or class of the user's own (which can
    change without a trace in the objective's code).
    """
    kind = type(value)
    if kind in _PLAIN_VALUES:
        h.update(f"{kind.__name__}:{value!r};".encode())
    elif isinstance(value, np.ndarray):
        # Numba freezes a global array, contents and all, as a constant.
        if value.dtype.hasobject:
            raise _Unprovable(value)
        flags = value.flags
        h.update(f"ndarray:{kind.__qualname__}:{value.dtype.descr!r}:{value.shape}:"
                 f"{value.strides}:{flags.c_contiguous}{flags.f_contiguous}"
                 f"{flags.writeable}{flags.aligned};".encode())
        h.update(value.tobytes(order="A"))
    elif isinstance(value, np.generic) and not value.dtype.hasobject:
        h.update(f"scalar:{value.dtype.descr!r};".encode() + value.tobytes())
    elif isinstance(value, np.dtype) and not value.hasobject:
        h.update(f"dtype:{value.descr!r};".encode())
    elif kind is tuple:
        h.update(f"tuple{len(value)}(".encode())
        for item in value:
            _hash_value(h, item, seen)
        h.update(b");")
    elif isinstance(value, types.Type):
        h.update(f"numba-type:{kind.__module__}.{kind.__qualname__}:{value!r};".encode())
    elif (trusted := _trusted_name(value)) is not None:
        h.update(f"trusted:{trusted};".encode())
    elif is_jitted(value):
        _hash_function(h, value.py_func, value.targetoptions, seen)
    else:
        raise _Unprovable(value)


def _hash_code(h, code):
    """Feed a code object into ``h``, the same in every process.

    Not ``marshal.dumps(code)``: marshal marks a constant that something else
    also references (``FLAG_REF``), and compiling the function makes Numba
    hold its float constants, so the bytes (and the driver's cache name)
    changed between a process that compiled the objective and one that
    loaded it.  The fields Python compares code objects by, nested code
    objects recursively, each constant by its type and ``repr``.
    """
    h.update(f"code:{code.co_argcount}:{code.co_posonlyargcount}:"
             f"{code.co_kwonlyargcount}:{code.co_flags}:{code.co_names!r}:"
             f"{code.co_varnames!r}:{code.co_freevars!r}:{code.co_cellvars!r};".encode())
    h.update(code.co_code)
    h.update(f"consts{len(code.co_consts)}(".encode())
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            _hash_code(h, const)
        else:
            h.update(f"{type(const).__qualname__}:{const!r};".encode())
    h.update(b");")


def _hash_function(h, py, options, seen):
    """Feed a jitted function's code, options, defaults, closure and globals into ``h``.

    Recurses into the jitted functions it calls; ``seen`` cuts recursion.
    """
    if id(py) in seen:
        h.update(f"again:{seen[id(py)]};".encode())
        return
    seen[id(py)] = len(seen)
    try:
        path = inspect.getsourcefile(py)
        st = os.stat(path)
    except (TypeError, OSError):   # typed at the prompt, built with exec
        raise _Unprovable(py) from None
    h.update(f"{py.__module__}.{py.__qualname__}@{path}:{st.st_mtime_ns}:{st.st_size};"
             f"{sorted(options.items())!r};".encode())
    _hash_code(h, py.__code__)
    _hash_value(h, py.__defaults__ or (), seen)
    _hash_value(h, tuple(sorted((py.__kwdefaults__ or {}).items())), seen)
    for cell in py.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:          # an empty cell
            raise _Unprovable(py) from None
        _hash_value(h, contents, seen)
    scope = py.__globals__
    builtins = scope.get("__builtins__", {})
    if isinstance(builtins, pytypes.ModuleType):
        builtins = vars(builtins)
    for name in sorted(_global_names(py.__code__, set())):
        h.update(f"global {name}=".encode())
        if name in scope:
            _hash_value(h, scope[name], seen)
        elif name in builtins:
            _hash_value(h, builtins[name], seen)
        else:
            h.update(b"undefined;")    # Numba will not compile it


def objective_digest(fun, jac):
    """A name for the compiled code of ``(fun, jac)``, or None when not cacheable.

    Numba freezes into the compiled objective every global it reads (an
    array included), its closure values and defaults, and the code of every
    jitted function it calls, with *their* globals: all of it goes into the
    name (see :func:`_hash_value`), with the objectives' bytecode, options
    and source-file stamps, and those of adaopt's own inlined code.  When
    something cannot be hashed the driver is not cached on disk: reusing a
    driver compiled against other values would return their answer.
    """
    h = hashlib.sha256()
    # adaopt's own code inlined into the driver: every source that can hold
    # compiled code (Numba does not track what a cached function calls)
    h.update(_numba_cache.package_digest().encode())
    seen = {}
    for func in (fun, jac):
        if func is None:
            h.update(b"None;")
            continue
        try:
            _hash_function(h, func.py_func, func.targetoptions, seen)
        except _Unprovable:
            return None
    return h.hexdigest()[:24]
