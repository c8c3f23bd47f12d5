r"""Whole-loop compilation: the RMSprop iteration loop in Numba's nopython mode.

When the objective and its gradient are Numba-jitted functions nothing forces
the iteration back into the interpreter: objective, gradient, the per-step
scalars, the stopping tests, the RMSprop step and the bounds projection all run
compiled, at tens of nanoseconds per iteration on a small problem instead of
the microseconds of a Python-driven loop.

Nothing of the iteration is written twice.  The compiled loop calls the same
compiled ``advance`` as :func:`adaopt.driver.run_python` (the stopping tests
in their documented order, the step through the kernels of
:mod:`adaopt.kernels`, the projection), on the same work array built by
:func:`adaopt.driver.make_workspace`; it only replaces the Python calls of
``fun``/``jac`` between two ``advance`` calls by compiled ones.  So both
drivers stop at the same iterate with the same status, to the bit.

Three callers share the loop :func:`_iterate`:

* :func:`run_compiled`, the ``driver='compiled'`` of :func:`adaopt.minimize`;
* :func:`adaopt.multistart`, which runs it for many starts in parallel;
* :func:`rmsprop_njit`, callable from the user's own ``@njit`` code.

Chunks
------
:func:`run_compiled` runs the loop in chunks of iterations and returns to
Python between them, the chunk growing while it takes less than about 50 ms.
Between chunks it tabulates the learning rates of an ``lr_schedule`` for the
next chunk (a schedule is Python code; never for a step beyond ``maxiter``
or the ``maxfev`` limit, and a failing schedule is handled as the Python
driver handles it: see :func:`run_chunks`), prints the ``progress`` line, and
lets a ``KeyboardInterrupt`` end the run with the work done so far (status
``INTERRUPTED``, as the Python driver does).  Any other exception, from
the jitted objective or the schedule, carries the result so far as
``exc.adaopt_result``, as from the Python driver.  A ``callback``, which scipy
calls after every iteration, is not supported by the compiled driver:
``driver='auto'`` takes the Python driver when there is one.

What compiles, and when
-----------------------
Numba specializes code that calls a jitted function on *which* function it
calls, so a driver is compiled once per objective (per ``fun``, ``jac``,
dtype of ``x0`` and types of ``args``; not per option value: every option
is a runtime value):

* :func:`run_compiled` and :func:`adaopt.multistart` build, per objective, a
  small driver that names ``fun`` and ``jac`` as constants, and cache it on
  disk (Numba's ``cache=True``) under a name that covers everything Numba
  compiles into it (``_objective_digest``): the module, qualified name,
  bytecode, options and source-file stamp of the objective and of every
  jitted function it calls, in any module; the values of the globals, closure
  cells and defaults they read (numbers and strings, NumPy arrays by dtype,
  shape and contents, tuples of those; objects of numpy, math, cmath, numba
  and adaopt by name and version); and the stamps of adaopt's own kernel
  modules.  A later process finds the driver there and compiles nothing; one
  whose objective reads other values (a module-level array set from the
  environment, say) or calls edited code compiles its own.  An objective
  whose name cannot be proven so gets an in-memory driver only: one without
  a source file (typed at the interpreter prompt, built with ``exec``), or
  one that reads a module of the user's (``mymod.f``), an object, a list or
  a Python function that is not jitted.  A driver compiled against other
  values would return their answer.  (The objective's own compiled code
  comes from its dispatcher: for an objective decorated ``cache=True``,
  from Numba's own cache, which does not notice changed globals either,
  as Numba documents.)
* :func:`rmsprop_njit` is inlined into the calling function (Numba IR
  inlining, ``inline='always'``), so a caller decorated with
  ``@njit(cache=True)`` is cached with the whole optimization inside it, by
  Numba's own cache: keyed on the caller's source file, not on the key
  above, so it does not notice changed globals or edits to other files.  (A
  non-inlined optimizer that takes a jitted function as an argument makes
  every caller uncacheable: Numba then embeds the address of the function
  object, a "dynamic global".)

adaopt's own cache files are loaded only from directories and files no other
user can write (see ``adaopt._numba_cache``).

To keep first-call latency low, decorate objectives with
``@numba.njit(cache=True)``: with a warm cache the first call of a new
process then loads everything from disk (``python -m asv`` benchmark
``bench_compiled.FirstCall`` measures both cases).
"""

import collections
import dis
import hashlib
import inspect
import math
import os
import sys
import threading
import time
import types as pytypes

import numba
import numpy as np
from numba import types
from numba.core.dispatcher import Dispatcher
from numba.extending import overload

from . import _numba_cache, driver, kernels, status
from ._borrow import borrowed, keep_alive
from ._validation import as_gradient, check_value
from .driver import Ctl, Row
from .kernels import HP

__all__ = ["RMSpropResult", "rmsprop_njit", "run_compiled", "is_jitted",
           "check_jitted_returns",
           "compiled_driver_unsupported", "get_driver", "step_settings"]

#: What :func:`rmsprop_njit` returns (a plain namedtuple inside Numba code).
RMSpropResult = collections.namedtuple(
    "RMSpropResult", ["x", "fun", "jac", "nit", "nfev", "njev", "status", "success"])

#: The scalars the compiled loop needs besides ``hp`` and ``ctl``: those of
#: :meth:`adaopt.RMSprop._prepare_step` (the part of a step that changes with
#: ``t``), and the kernel flavour.  Options off are neutral values
#: (``clip_value``/``clip_norm`` ``inf``).
StepSettings = collections.namedtuple("StepSettings", [
    "lr", "rho", "weight_decay", "decoupled_weight_decay", "bias_correction",
    "clip_value", "clip_norm", "per_step", "centered", "momentum"])

# Slots and codes as plain module integers, which Numba freezes as constants
# (a class attribute is not visible to compiled code).
_HP_LR, _HP_LR_WD, _HP_BIAS, _HP_SCALE = HP.LR, HP.LR_WD, HP.BIAS, HP.SCALE
_F, _FPREV, _K = Ctl.F, Ctl.FPREV, Ctl.K
_CONTINUE = driver.CONTINUE
_GTOL, _FTOL, _XTOL = status.GTOL, status.FTOL, status.XTOL

# ``advance`` of each kernel flavour, with the serial kernel, for
# :func:`rmsprop_njit` (which picks the flavour at run time).  Module globals,
# so that compiled callers name them as constants and stay cacheable.  Not
# cached themselves: a closure over a dispatcher gets a new cache key in every
# process (the dispatcher pickles with a per-process id).  Creating a
# dispatcher compiles nothing.  The compiled drivers always take the serial
# kernels (same bits as the parallel ones); ``driver='auto'`` leaves vectors
# long enough for the parallel kernel to the Python driver.


def _serial_advance(centered, momentum):
    step = kernels.get_step_kernel(centered, momentum, False)
    return numba.njit(driver.advance_function(centered, momentum, step),
                      nogil=True, error_model="numpy")


_advance_plain = _serial_advance(False, False)
_advance_centered = _serial_advance(True, False)
_advance_momentum = _serial_advance(False, True)
_advance_centered_momentum = _serial_advance(True, True)
_clip_scale = kernels.clip_scale_serial

_NO_LRS = np.empty(0, dtype=np.float64)


def is_jitted(func):
    """Whether ``func`` is a Numba ``@jit``/``@njit`` function (a dispatcher)."""
    return isinstance(func, Dispatcher)


# -- the loop ---------------------------------------------------------------------

def _evaluate(fun, jac, x, xe, args, g, counts):  # pragma: no cover - replaced by the overload
    """Return f(x) as float64, write the gradient into ``g``, count the calls.

    ``fun`` and ``jac`` get ``xe``, refilled from ``x`` before each call.
    """


@numba.njit(inline="always", nogil=True)
def _refill(xe, x):
    """Copy the iterate ``x`` into the objective's own array ``xe``."""
    for i in range(x.shape[0]):
        xe[i] = x[i]


@overload(_evaluate, inline="always")
def _evaluate_overload(fun, jac, x, xe, args, g, counts):
    # Chosen while typing: ``jac`` None means ``fun`` returns ``(f, g)``.
    # The objective gets ``xe``, an array of its own refilled from the
    # iterate before each call (as the Python driver hands it a copy): it may
    # write into it without touching the run (scipy's contract).  The copy
    # of the gradient gives advance one of the parameters' dtype whatever the
    # objective returns (as adaopt._validation.as_gradient converts it on the
    # Python path).  ``counts`` (nfev, njev) grows before each call, as the
    # Python driver counts: a call that raises is counted too.
    if isinstance(jac, (types.NoneType, types.Omitted)):
        def impl(fun, jac, x, xe, args, g, counts):
            counts[0] += 1
            counts[1] += 1
            _refill(xe, x)
            f, grad = fun(xe, *args)
            _copy_gradient(grad, g)
            return _as_f(f)
    else:
        def impl(fun, jac, x, xe, args, g, counts):
            counts[0] += 1
            _refill(xe, x)
            f = fun(xe, *args)
            counts[1] += 1
            _refill(xe, x)
            _copy_gradient(jac(xe, *args), g)
            return _as_f(f)
    return impl


_REAL = (types.Float, types.Integer, types.Boolean)


def _kind_of(ty):
    """``'real'``, ``'array'`` (a real array), ``'sequence'`` (a tuple or list
    of reals) or None: what the compiled loop can take ``ty`` for (``f`` and
    the gradient)."""
    if isinstance(ty, _REAL):
        return "real"
    if isinstance(ty, types.Array) and isinstance(ty.dtype, _REAL):
        return "array"
    if isinstance(ty, types.BaseTuple) and len(ty) > 0 and all(
            isinstance(item, _REAL) for item in ty):
        return "sequence"
    if isinstance(ty, types.List) and isinstance(ty.dtype, _REAL):
        return "sequence"
    return None


def _as_f(f):  # pragma: no cover - replaced by the overload
    """``f`` as float64: a real scalar, or an array of one element (as the
    Python driver's check of ``f`` accepts)."""


@overload(_as_f, inline="always")
def _as_f_overload(f):
    kind = _kind_of(f)
    if kind == "real":
        return lambda f: np.float64(f)
    if kind == "array":
        def impl(f):
            if f.size != 1:
                raise ValueError("the objective function must return a real scalar, "
                                 "got an array of more than one element")
            return np.float64(f.flat[0])
        return impl
    raise numba.core.errors.TypingError(
        f"adaopt: the objective function must return a real scalar, got {f}")


#: Numba's JIT switched off (NUMBA_DISABLE_JIT=1): rmsprop_njit cannot run.
_DISABLE_JIT = bool(numba.config.DISABLE_JIT)

#: The compiled loop's error for a 1-D gradient of another length than x0.
_WRONG_LENGTH = "the gradient (jac) must have the length of x0 (shape (n,) like x0)"


def _copy_gradient(grad, g):  # pragma: no cover - replaced by the overload
    """Copy the objective's gradient ``grad`` into ``g`` (x's dtype)."""


@overload(_copy_gradient, inline="always")
def _copy_gradient_overload(grad, g):
    # The rule of adaopt._validation.as_gradient: a real 1-D array, tuple or
    # list of len(x0), or a column (n, 1) or row (1, n); a wrong shape raises
    # ValueError at run time, a wrong kind is refused here, while typing.
    kind = _kind_of(grad)
    if kind == "sequence":
        if isinstance(grad, types.List):
            def impl_list(grad, g):
                if len(grad) != g.shape[0]:
                    raise ValueError(_WRONG_LENGTH)
                for i in range(g.shape[0]):
                    g[i] = grad[i]
            return impl_list
        # a tuple, maybe of mixed types (2 * x[0], 0): one statement per item,
        # each with a constant index, which any tuple supports
        lines = [f"    g[{i}] = grad[{i}]\n" for i in range(len(grad))]
        scope = {"_WRONG_LENGTH": _WRONG_LENGTH}
        exec(f"def impl_tuple(grad, g):\n    if g.shape[0] != {len(grad)}:\n"
             f"        raise ValueError(_WRONG_LENGTH)\n" + "".join(lines), scope)
        return scope["impl_tuple"]
    if kind != "array" or grad.ndim > 2:
        raise numba.core.errors.TypingError(
            "adaopt: the gradient (jac) must be a real array of shape (n,) like "
            f"x0, got {grad}")
    if grad.ndim == 1:
        def impl(grad, g):
            # an explicit loop: a slice assignment costs more than the whole
            # copy at n=2
            if grad.shape[0] != g.shape[0]:
                raise ValueError(_WRONG_LENGTH)
            for i in range(g.shape[0]):
                g[i] = grad[i]
        return impl

    def impl2(grad, g):
        n = g.shape[0]
        if grad.shape[0] == n and grad.shape[1] == 1:
            for i in range(n):
                g[i] = grad[i, 0]
        elif grad.shape[0] == 1 and grad.shape[1] == n:
            for i in range(n):
                g[i] = grad[0, i]
        else:
            raise ValueError("the gradient (jac) must have shape (n,) like x0, "
                             "n = len(x0), or (n, 1) or (1, n)")
    return impl2


def check_jitted_returns(fun, jac, x0, args):
    """Raise the Python driver's ``TypeError`` for a jitted objective whose
    return types the compiled loop cannot take (a complex gradient, a pair
    where ``f`` was expected, ...), before a driver is compiled for it.

    The types are Numba's own for these arguments (the objective is compiled
    for them here, as the driver's compilation would anyway).  Nothing is
    called unless the types leave the answer open (an array ``f``, a 2-D
    gradient): then the objective is evaluated once at ``x0`` and its values
    get the Python driver's checks, ``ValueError`` for a wrong shape.  A 1-D
    gradient of the wrong length raises ``ValueError`` from the loop.
    """
    from numba.core.registry import cpu_target
    ctx = cpu_target.typing_context
    argtypes = tuple(numba.typeof(a) for a in (x0, *args))

    def returned(func, name):
        sig = ctx.resolve_value_type(func).get_call_type(ctx, argtypes, {})
        if sig is None:     # fixed signatures, none for these types
            raise TypeError(f"{name} {func.py_func.__qualname__} has no compiled "
                            f"version for the arguments (x0, *args) of types "
                            f"{', '.join(map(str, argtypes))} and may not compile "
                            f"one (signatures {func.signatures})")
        return sig.return_type

    out = returned(fun, "fun")
    gty = returned(jac, "jac") if jac is not None else None
    if jac is None:
        if not (isinstance(out, types.BaseTuple) and len(out) == 2):
            raise TypeError(f"with jac=True, fun must return a pair (f, g), got {out}")
        fty, gty = out[0], out[1]
    else:
        fty = out
    if _kind_of(fty) is None:
        raise ValueError(f"the objective function must return a real scalar, got {fty}")
    gkind = _kind_of(gty)
    if gkind is None:
        dtype = getattr(gty, "dtype", gty)
        raise TypeError(f"the gradient (jac) must be a real array of shape "
                        f"{x0.shape}, got {gty} (dtype {dtype})")
    if gkind == "array" and gty.ndim > 2:
        # as adaopt._validation.as_gradient says of such an array
        raise ValueError(f"the gradient (jac) must have shape {x0.shape} like x0, "
                         f"got a {gty.ndim}-D array")
    if isinstance(gty, types.BaseTuple) and len(gty) != x0.shape[0]:
        raise ValueError(f"the gradient (jac) must have shape {x0.shape} like x0, "
                         f"got a tuple of {len(gty)}")
    if isinstance(fty, types.Array) or (gkind == "array" and gty.ndim == 2):
        # Only the values say whether an array f has one element, or a 2-D
        # gradient is a column or a row: look at them once, with the Python
        # driver's checks, rather than fail inside the (parallel) loop.
        if jac is None:
            f, g = fun(x0, *args)
        else:
            f, g = fun(x0, *args), jac(x0, *args)
        check_value(f)
        as_gradient(g, x0)


@numba.njit(inline="always")
def _prepare(hp, g, lr, t, s):
    """Set the scalars of step ``t`` in ``hp``: RMSprop._prepare_step, compiled."""
    hp[_HP_LR] = lr
    if s.decoupled_weight_decay:
        hp[_HP_LR_WD] = lr * s.weight_decay
    if s.bias_correction:
        # math.pow is C's pow(), as Python's float ** int; Numba's ** with an
        # integer exponent multiplies by squaring and can round differently.
        hp[_HP_BIAS] = 1.0 / (1.0 - math.pow(s.rho, float(t)))
    if s.clip_norm < math.inf:
        # the object's rule itself (overflow-safe), not a copy of it
        hp[_HP_SCALE] = _clip_scale(g, s.clip_value, s.clip_norm)


@numba.njit(inline="always")
def _advance_any(W, g, hp, ctl, s):
    """``advance`` of the flavour ``s`` asks for, chosen at run time."""
    if s.centered:
        if s.momentum:
            return _advance_centered_momentum(W, g, hp, ctl)
        return _advance_centered(W, g, hp, ctl)
    if s.momentum:
        return _advance_momentum(W, g, hp, ctl)
    return _advance_plain(W, g, hp, ctl)


def _inline(pyfunc):
    """An ``inline='always'`` dispatcher of a plain Python function.

    Same source as the called version, so the same arithmetic: Numba inlines
    the IR into the caller, which then compiles as one function.  For a
    two-element problem that saves about a third of an iteration against
    calling ``advance`` and the kernel (their arguments cross two calls, with
    reference counts Numba cannot prune across calls).
    """
    return numba.njit(pyfunc, inline="always", error_model="numpy")


_fixed_advances = {}


def _fixed_advance(centered, momentum):
    """``advance`` of one flavour, kernel and all inlined (``s`` is ignored)."""
    key = (bool(centered), bool(momentum))
    found = _fixed_advances.get(key)
    if found is None:
        step = _inline(kernels.get_step_kernel(*key, False).py_func)
        inner = _inline(driver.advance_function(*key, step))

        def advance(W, g, hp, ctl, s):
            return inner(W, g, hp, ctl)

        found = _fixed_advances[key] = numba.njit(advance, inline="always")
    return found


@numba.njit(inline="always")
def _iterate(fun, jac, advance, W, g, hp, ctl, counts, args, lrs, s, kstop):
    """Iterate until a status, or until ``ctl[K]`` reaches ``kstop``.

    Each pass evaluates ``f`` and ``g`` at the iterate in ``W[X]`` (which a
    chunk always starts with unevaluated), sets the step's scalars, and
    calls ``advance(W, g, hp, ctl, s)`` (steps 1 and 3-8 of
    :mod:`adaopt.driver`).  ``lrs``
    holds the learning rates of steps ``k0 + 1, k0 + 2, ...`` of a schedule,
    ``k0 = ctl[K]`` on entry, or is empty for the constant ``s.lr``.
    ``counts`` accumulates ``nfev`` and ``njev``.  Returns the status, or
    ``CONTINUE`` at ``kstop``.
    """
    # The objective gets an ordinary array of its own (it may keep or modify
    # it); everything else works on borrowed arrays: no atomic reference
    # counting in the loop (a third of an iteration at n = 2; see
    # adaopt._borrow).
    xe = W[0].copy()
    Wb = borrowed(W)
    x = Wb[0]
    gb = borrowed(g)
    hpb = borrowed(hp)
    ctlb = borrowed(ctl)
    countsb = borrowed(counts)
    k0 = int(ctlb[_K])
    scheduled = lrs.shape[0] > 0
    while True:
        ctlb[_F] = _evaluate(fun, jac, x, xe, args, gb, countsb)
        if s.per_step:
            t = int(ctlb[_K]) + 1
            _prepare(hpb, gb, lrs[t - 1 - k0] if scheduled else s.lr, t, s)
        code = advance(Wb, gb, hpb, ctlb, s)
        if code != _CONTINUE or ctlb[_K] >= kstop:
            break
    # The owners stay alive until their borrowed views are last read: inlined
    # into rmsprop_njit, whose locals they are, hp's last use was otherwise
    # borrowed(hp), and Numba freed it while the loop still read it (an
    # objective that allocates then got its memory: a wrong stop at x0).
    keep_alive(W)
    keep_alive(g)
    keep_alive(hp)
    keep_alive(ctl)
    keep_alive(counts)
    return code


# -- per-objective drivers, cached on disk ----------------------------------------

def _single_template(W, g, hp, ctl, counts, args, lrs, s, kstop):
    return _iterate(_fun, _jac, _advance, W, g, hp, ctl, counts,  # noqa: F821
                    args, lrs, s, kstop)


def _multi_template(W, G, HPS, CTL, COUNTS, CODES, args, lrs, s, kstop):
    # The loop body calls the single driver rather than inlining the loop:
    # prange needs a body with one exit, and the loop has several.
    for i in numba.prange(W.shape[0]):
        if CODES[i] == _CONTINUE:
            CODES[i] = _single(W[i], G[i], HPS[i], CTL[i],  # noqa: F821
                               COUNTS[i], args, lrs, s, kstop)


_TEMPLATES = {"single": _single_template, "multi": _multi_template}
_drivers = {}
_drivers_lock = threading.RLock()
# adaopt's own code inlined into a driver: part of the cache name, since
# Numba does not track what a cached function calls.
_OWN_SOURCES = (driver.__file__, kernels.__file__)

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
        found = sys.modules.get(module)
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


def _objective_digest(fun, jac):
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
    for path in _OWN_SOURCES:
        st = os.stat(path)
        h.update(f"{st.st_mtime_ns}:{st.st_size};".encode())
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


def get_driver(kind, fun, jac, centered, momentum):
    """Return the compiled driver ``kind`` (``'single'`` or ``'multi'``) for an objective.

    ``jac`` None means ``fun`` returns ``(f, g)``; ``centered`` and
    ``momentum`` pick the kernel flavour.  The driver is a copy of the
    template function whose globals ``_fun``, ``_jac`` and ``_advance`` are
    the objective and the flavour's ``advance``, so Numba compiles direct
    calls and, having no function object to embed, can cache the result
    (see the module docstring).
    """
    centered, momentum = bool(centered), bool(momentum)
    key = (kind, fun, jac, centered, momentum)
    found = _drivers.get(key)
    if found is not None:
        return found
    with _drivers_lock:
        found = _drivers.get(key)
        if found is None:
            template = _TEMPLATES[kind]
            digest = _objective_digest(fun, jac)
            name = (f"{template.__name__}_{digest or 'uncached'}_"
                    f"{int(centered)}{int(momentum)}")
            scope = dict(template.__globals__, _fun=fun, _jac=jac,
                         _advance=_fixed_advance(centered, momentum))
            if kind == "multi":
                scope["_single"] = get_driver("single", fun, jac, centered, momentum)
            pyfunc = pytypes.FunctionType(template.__code__, scope, name)
            pyfunc.__qualname__ = name
            options = dict(nogil=True, parallel=kind == "multi", error_model="numpy")
            # njit_cached: cache=True that survives read-only installs and
            # corrupt cache files (see adaopt._numba_cache)
            found = (_numba_cache.njit_cached(pyfunc, **options) if digest is not None
                     else numba.njit(pyfunc, **options))
            _drivers[key] = found
    return found


# -- the driver of adaopt.minimize -------------------------------------------------

def compiled_driver_unsupported(problem):
    """Why ``problem`` cannot run compiled (a message), or None if it can."""
    mode = problem.jac_mode
    if mode not in ("callable", "combined"):
        return (f"driver='compiled' needs a gradient: jac a jitted function or "
                f"jac=True, got jac={mode!r} (finite differences)")
    if not is_jitted(problem.fun):
        return f"driver='compiled' needs fun to be a Numba-jitted function, got {problem.fun!r}"
    if mode == "callable" and not is_jitted(problem.jac):
        return f"driver='compiled' needs jac to be a Numba-jitted function, got {problem.jac!r}"
    if problem.callback is not None:
        return ("driver='compiled' does not call a Python callback after every "
                "iteration; use driver='python' (or 'auto') with a callback")
    return None


def step_settings(opt):
    """The :class:`StepSettings` of an :class:`adaopt.RMSprop` (already checked)."""
    h = opt._hyper
    return StepSettings(
        float(opt._lr), float(h["rho"]), float(h["weight_decay"]),
        bool(h["decoupled_weight_decay"]), bool(h["bias_correction"]),
        math.inf if h["clip_value"] is None else float(h["clip_value"]),
        math.inf if h["clip_norm"] is None else float(h["clip_norm"]),
        bool(opt._per_step_scalars()), bool(h["centered"]), h["momentum"] > 0)


#: First chunk and cap of the iterations run between two returns to Python
#: (the cap is lower with a schedule, whose table of learning rates has one
#: float per iteration of the chunk), and the time a chunk may take before it
#: stops growing (by 4x per chunk).
_FIRST_CHUNK = 1024
_MAX_CHUNK = 1 << 22
_MAX_CHUNK_SCHEDULED = 1 << 16
_CHUNK_SECONDS = 0.05


def run_chunks(run_chunk, opt, ctl_k, limit, progress=None, every=0):
    """Call ``run_chunk(kstop, lrs) -> code`` until it returns a status.

    ``ctl_k()`` reads the iteration count ``k``.  With a progress interval
    ``every``, chunks end where the Python driver prints a progress line
    (right after the step that makes ``k - 1`` a multiple of ``every``) and
    ``progress()`` is called there.

    ``limit`` is the last step the run can take
    (:func:`adaopt.driver.iteration_limit`).  A chunk never ends after
    ``limit + 1``, and a schedule is asked for the rates of steps up to
    ``limit`` only: the last pass of a run sets up step ``limit + 1`` before
    ``advance`` stops it, with a placeholder rate.  Should the schedule
    raise (or give a bad rate) at a step ``t`` of the next chunk, the chunk
    ends at ``t`` with a placeholder rate for step ``t``: a run that stops
    before step ``t`` returns its status as usual (the rate was never
    needed, as in the Python driver); one that took step ``t`` gets the
    schedule's exception raised here, and the caller goes back to
    :math:`x_{t-1}` (:func:`adaopt.driver.back_to_evaluated`).
    """
    scheduled = opt.lr_schedule is not None
    size = _FIRST_CHUNK
    cap = _MAX_CHUNK_SCHEDULED if scheduled else _MAX_CHUNK
    while True:
        k = ctl_k()
        kstop = k + size
        if every:
            kstop = min(kstop, ((k - 1) // every + 1) * every + 1)
        if limit != math.inf:
            kstop = min(kstop, int(limit) + 1)
        error = None
        lrs = _NO_LRS
        if scheduled:
            lrs, error = opt._lr_prefix(k + 1, min(kstop, limit) + 1)
            if error is not None:
                kstop = k + 1 + lrs.shape[0]
            if lrs.shape[0] < kstop - k:
                # placeholders: the failing step, or step limit + 1
                lrs = np.concatenate(
                    [lrs, np.full(kstop - k - lrs.shape[0], driver.PLACEHOLDER_LR)])
        start = time.perf_counter()
        code = run_chunk(float(kstop), lrs)
        if code != _CONTINUE:
            return code
        if error is not None:
            raise error       # step kstop was taken with the placeholder
        if time.perf_counter() - start < _CHUNK_SECONDS:
            size = min(size * 4, cap)
        if every and (ctl_k() - 1) % every == 0:
            progress()


def run_compiled(problem):
    """Run ``problem`` in the compiled loop; return its OptimizeResult.

    Same iteration, stopping tests and result as :func:`adaopt.driver.run_python`
    (see :mod:`adaopt.driver`), with ``fun``/``jac`` called from compiled code.
    ``KeyboardInterrupt`` is seen between chunks (see the module docstring)
    and ends the run with status ``INTERRUPTED`` and the last evaluated iterate.
    Any other exception, from the jitted objective or the schedule,
    propagates unchanged and carries the result of that same iterate with
    status ``EXCEPTION``, as from the Python driver
    (:func:`adaopt.driver.attach_result`).

    Raises
    ------
    ValueError
        When the problem cannot run compiled (see
        :func:`compiled_driver_unsupported`), or the objective returns a
        gradient or ``f`` of the wrong shape.
    TypeError
        For an objective whose return types the loop cannot take (see
        :func:`check_jitted_returns`), before any driver is compiled.
    """
    why = compiled_driver_unsupported(problem)
    if why is not None:
        raise ValueError(why)
    opt, W, hp, ctl, _ = driver.make_workspace(problem)
    x = W[Row.X]
    ctl[Ctl.MODE] = 0.0
    s = step_settings(opt)
    if not s.per_step:
        opt._prepare_step(x, opt._lr_at(1), 1)
    g = np.zeros(x.shape, dtype=x.dtype)
    counts = np.zeros(2, dtype=np.int64)
    jac = problem.jac if problem.jac_mode == "callable" else None
    check_jitted_returns(problem.fun, jac, x, problem.args)
    run = get_driver("single", problem.fun, jac, s.centered, s.momentum)
    args = problem.args
    progress = (driver._Progress(problem.progress, problem.out)
                if problem.progress else None)

    def chunk(kstop, lrs):
        return run(W, g, hp, ctl, counts, args, lrs, s, kstop)

    def show_progress():
        # as the Python driver: the line of iteration k - 1, just stepped from
        progress(int(ctl[Ctl.K]) - 1, ctl[Ctl.FPREV], ctl[Ctl.GNORM])

    def result(g, code):
        return driver.make_result(x.copy(), float(ctl[Ctl.F]), g.copy(), int(ctl[Ctl.K]),
                                  int(counts[0]), int(counts[1]), code)

    try:
        code = run_chunks(chunk, opt, lambda: int(ctl[Ctl.K]),
                          driver.iteration_limit(problem), show_progress,
                          problem.progress)
    except KeyboardInterrupt:
        code = status.INTERRUPTED
        g = driver.back_to_evaluated(W, g, ctl)
    except Exception as exc:
        driver.attach_result(exc, result(driver.back_to_evaluated(W, g, ctl),
                                         status.EXCEPTION))
        raise
    if code == status.NONFINITE:
        g = W[Row.GPREV]
    res = result(g, code)
    if problem.disp:
        driver.print_summary(res, problem.out)
    return res


# -- the entry point for users' own Numba code ------------------------------------

_ROW_X, _ROW_XPREV, _ROW_GPREV, _ROW_V, _ROW_STATE = (Row.X, Row.XPREV, Row.GPREV,
                                                      Row.V, Row.STATE)
_C_F, _C_FPREV, _C_GTOL, _C_FTOL, _C_XTOL = Ctl.F, Ctl.FPREV, Ctl.GTOL, Ctl.FTOL, Ctl.XTOL
_C_MAXITER, _C_KFEV, _C_BOUNDED, _C_STEPNORM = (Ctl.MAXITER, Ctl.KFEV, Ctl.BOUNDED,
                                                Ctl.STEPNORM)
_C_SIZE, _HP_SIZE = Ctl.SIZE, HP.SIZE
_NONFINITE = status.NONFINITE
_HP_CLIP = HP.CLIP
_HP_EPS_IN = HP.EPS_IN
_HP_EPS_OUT = HP.EPS_OUT
_HP_MU = HP.MU
_HP_NESTEROV = HP.NESTEROV
_HP_ONE = HP.ONE
_HP_ONE_MINUS_RHO = HP.ONE_MINUS_RHO
_HP_RHO = HP.RHO
_HP_SIGN = HP.SIGN
_HP_WD = HP.WD


def _bound(bound, n, fill):  # pragma: no cover - replaced by the overload
    """``bound`` as a float64 array of ``n`` elements, ``fill`` if None."""


@overload(_bound, inline="always")
def _bound_overload(bound, n, fill):
    if isinstance(bound, (types.NoneType, types.Omitted)):
        def impl(bound, n, fill):
            return np.full(n, fill)
    elif isinstance(bound, types.Array):
        def impl(bound, n, fill):
            if bound.shape[0] != n:
                raise ValueError("lower and upper must have one entry per element of x0")
            out = np.empty(n)
            for i in range(n):
                out[i] = bound[i]
            return out
    else:
        def impl(bound, n, fill):
            return np.full(n, np.float64(bound))
    return impl


def _kfev(maxfev):  # pragma: no cover - replaced by the overload
    """The iteration limit implied by ``maxfev`` (Problem.iteration_limit_from_maxfev)."""


@overload(_kfev, inline="always")
def _kfev_overload(maxfev):
    if isinstance(maxfev, (types.NoneType, types.Omitted)):
        return lambda maxfev: np.inf
    return lambda maxfev: np.float64(max(maxfev - 1, 0))


def _start(x0):  # pragma: no cover - replaced by the overload
    """``x0`` as the run's float array: integers become float64, as
    :func:`adaopt.minimize` converts them."""


@overload(_start, inline="always")
def _start_overload(x0):
    if not (isinstance(x0, types.Array) and x0.ndim == 1
            and isinstance(x0.dtype, (types.Float, types.Integer))
            and not isinstance(x0.dtype, types.Boolean)):
        raise numba.core.errors.TypingError(
            f"adaopt.rmsprop_njit: x0 must be a 1-D float32, float64 or integer "
            f"array, got {x0}")
    if isinstance(x0.dtype, types.Integer):
        return lambda x0: x0.astype(np.float64)
    if x0.dtype not in (types.float32, types.float64):
        raise numba.core.errors.TypingError(
            f"adaopt.rmsprop_njit: x0 must be float32 or float64, got {x0}")
    return lambda x0: x0


@numba.njit(inline="always")
def _fill_hp(hp, rho, eps, eps_in_sqrt, weight_decay, decoupled_weight_decay,
             momentum, nesterov, maximize, clip_value):
    """The fixed scalars of ``hp``: RMSprop._configure, compiled."""
    hp[:] = 0.0
    hp[_HP_RHO] = rho
    hp[_HP_ONE_MINUS_RHO] = 1.0 - rho   # rounded once, from float64
    if eps_in_sqrt:
        hp[_HP_EPS_IN] = eps
    else:
        hp[_HP_EPS_OUT] = eps
    if not decoupled_weight_decay:
        hp[_HP_WD] = weight_decay
    hp[_HP_MU] = momentum
    hp[_HP_NESTEROV] = 1.0 if nesterov else 0.0
    hp[_HP_SIGN] = -1.0 if maximize else 1.0
    hp[_HP_CLIP] = clip_value
    hp[_HP_SCALE] = 1.0
    hp[_HP_BIAS] = 1.0
    hp[_HP_ONE] = 1.0


@numba.njit(inline="always")
def rmsprop_njit(fun, x0, args=(), jac=None, lower=None, upper=None, lr=1e-3,
                 rho=0.9, eps=1e-8, momentum=0.0, nesterov=False, centered=False,
                 weight_decay=0.0, decoupled_weight_decay=False, maximize=False,
                 eps_in_sqrt=False, bias_correction=False, initial_scale=0.0,
                 clip_value=np.inf, clip_norm=np.inf, maxiter=10000, maxfev=None,
                 gtol=1e-5, ftol=0.0, xtol=0.0):
    r"""Minimize ``fun`` with RMSprop from inside Numba-compiled code.

    The loop of :func:`adaopt.minimize`'s compiled driver as a function
    that ``@numba.njit`` code can call (in the spirit of
    ``quantecon.optimize``), e.g. to fit thousands of small models in one
    compiled loop.  Options, defaults, stopping tests and statuses are
    those of :func:`adaopt.minimize` (see :mod:`adaopt.driver` for their
    order); the update is DESIGN.md section 2 (:class:`adaopt.RMSprop`).
    For the same inputs it returns what ``adaopt.minimize`` returns.

    It is inlined into its caller, so a caller decorated with
    ``@njit(cache=True)`` is cached together with the optimization.

    Parameters
    ----------
    fun : numba dispatcher
        ``fun(x, *args) -> float``; with ``jac`` None, ``-> (float, gradient)``.
    x0 : ndarray
        1-D float32 or float64 start, not modified; the run keeps its dtype.
        An integer ``x0`` runs in float64, as :func:`adaopt.minimize` runs it.
    args : tuple, default ()
        Extra arguments of ``fun`` and ``jac``.
    jac : numba dispatcher, optional
        ``jac(x, *args) -> gradient``, a 1-D array of ``len(x0)``.
    lower, upper : ndarray or float, optional
        Bounds; ``x0`` is clipped into the box and every iterate projected
        onto it, :math:`x \leftarrow \min(\max(x, l), u)`.
    lr, rho, eps, momentum, nesterov, centered : optional
        As for :class:`adaopt.RMSprop` (a constant learning rate).
    weight_decay, decoupled_weight_decay, maximize : optional
        As for :class:`adaopt.RMSprop`.
    eps_in_sqrt, bias_correction, initial_scale : optional
        As for :class:`adaopt.RMSprop`.
    clip_value, clip_norm : float, default inf (off)
        Gradient clipping, as for :class:`adaopt.RMSprop`.
    maxiter : int, default 10000
    maxfev : int, optional
    gtol : float, default 1e-5
        :math:`\lVert g_k\rVert_\infty \le \mathrm{gtol}` stops the run,
        :math:`g_k` projected on the bounds as in :func:`adaopt.minimize`.
    ftol, xtol : float, default 0 (off)
        :math:`|f_{k-1} - f_k| \le \mathrm{ftol}\max(|f_{k-1}|, |f_k|, 1)`,
        :math:`\lVert x_k - x_{k-1}\rVert_\infty \le \mathrm{xtol}`.

    Returns
    -------
    RMSpropResult
        Named tuple ``(x, fun, jac, nit, nfev, njev, status, success)``;
        ``status`` is a code of :mod:`adaopt.status`.  After a non-finite
        ``f`` or ``g``, ``x`` is the last iterate where both were finite.

    Raises
    ------
    ValueError
        For an option out of range, bounds of the wrong length or with
        ``lower > upper``, or a gradient of the wrong length (a column
        ``(n, 1)`` or row ``(1, n)`` is read as the 1-D gradient).
    numba.core.errors.TypingError
        While Numba compiles the calling function, with one line of its
        message marked ``adaopt``, for a gradient that is not a real array (e.g. complex),
        an ``f`` that is not real, or an ``x0`` that is not a 1-D float or
        integer array: inside ``@njit`` code nothing else can refuse them.
    RuntimeError
        Under ``NUMBA_DISABLE_JIT=1``, where it cannot run
        (:func:`adaopt.minimize` can).

    Examples
    --------
    Three one-parameter least-squares fits in one compiled loop:

    >>> import numba, numpy as np
    >>> from adaopt import rmsprop_njit
    >>> @numba.njit
    ... def sq(x, c):
    ...     return ((x - c) ** 2).sum(), 2.0 * (x - c)
    >>> @numba.njit
    ... def fit_all(cs):
    ...     out = np.empty(cs.shape[0])
    ...     for i in range(cs.shape[0]):
    ...         r = rmsprop_njit(sq, np.zeros(1), (cs[i],), lr=0.01, maxiter=2000)
    ...         out[i] = r.x[0]
    ...     return out
    >>> fit_all(np.array([1.0, -2.0, 3.5])).round(2)
    array([ 1. , -2. ,  3.5])
    """
    if _DISABLE_JIT:
        # Under NUMBA_DISABLE_JIT=1 this runs as Python, where the overloads
        # it is built from do not exist: say so instead of failing obscurely
        # (a constant False when compiled: the test costs nothing).
        raise RuntimeError("adaopt.rmsprop_njit needs Numba's JIT, and "
                           "NUMBA_DISABLE_JIT=1 is set; adaopt.minimize runs "
                           "without it")
    if not (lr >= 0.0 and lr < np.inf):
        raise ValueError("lr must be >= 0 and finite")
    if not (rho >= 0.0 and rho < 1.0):
        raise ValueError("rho must be in [0, 1)")
    if not (eps >= 0.0 and momentum >= 0.0 and weight_decay >= 0.0
            and initial_scale >= 0.0):
        raise ValueError("eps, momentum, weight_decay and initial_scale must be >= 0")
    if not (clip_value > 0.0 and clip_norm > 0.0):
        raise ValueError("clip_value and clip_norm must be > 0 (inf: off)")
    if nesterov and not momentum > 0.0:
        raise ValueError("nesterov=True needs momentum > 0")
    if not (maxiter >= 0 and gtol >= 0.0 and ftol >= 0.0 and xtol >= 0.0):
        raise ValueError("maxiter, gtol, ftol and xtol must be >= 0")
    kfev = _kfev(maxfev)
    x0 = _start(x0)
    n = x0.shape[0]
    lo = _bound(lower, n, -np.inf)
    hi = _bound(upper, n, np.inf)
    bounded = False
    for i in range(n):
        if not lo[i] <= hi[i]:
            raise ValueError("bounds: lower > upper (or NaN)")
        bounded = bounded or lo[i] > -np.inf or hi[i] < np.inf
    has_m = 1 if centered else 0
    has_b = 1 if momentum > 0.0 else 0
    nrows = _ROW_STATE + has_m + has_b + (2 if bounded else 0)
    W = np.zeros((nrows, n), dtype=x0.dtype)
    row_lo = _ROW_STATE + has_m + has_b
    for i in range(n):
        if bounded:
            W[row_lo, i] = lo[i]
            W[row_lo + 1, i] = hi[i]
            xi = min(max(x0[i], W[row_lo, i]), W[row_lo + 1, i])
        else:
            xi = x0[i]
        W[_ROW_X, i] = xi
        W[_ROW_XPREV, i] = xi
        W[_ROW_V, i] = initial_scale
    ctl = np.zeros(_C_SIZE)
    ctl[_C_F] = np.nan
    ctl[_C_FPREV] = np.nan
    ctl[_C_GTOL] = gtol
    ctl[_C_FTOL] = ftol
    ctl[_C_XTOL] = xtol
    ctl[_C_MAXITER] = maxiter
    ctl[_C_KFEV] = kfev
    ctl[_C_BOUNDED] = 1.0 if bounded else 0.0
    ctl[_C_STEPNORM] = np.inf
    hp = np.empty(_HP_SIZE, dtype=x0.dtype)
    _fill_hp(hp, np.float64(rho), np.float64(eps), eps_in_sqrt,
             np.float64(weight_decay), decoupled_weight_decay, np.float64(momentum),
             nesterov, maximize, np.float64(clip_value))
    s = StepSettings(np.float64(lr), np.float64(rho), np.float64(weight_decay),
                     decoupled_weight_decay, bias_correction, np.float64(clip_value),
                     np.float64(clip_norm), bias_correction or clip_norm < np.inf,
                     centered, momentum > 0.0)
    g = np.zeros(n, dtype=x0.dtype)
    if not s.per_step:
        _prepare(hp, g, s.lr, 1, s)
    counts = np.zeros(2, dtype=np.int64)
    code = _iterate(fun, jac, _advance_any, W, g, hp, ctl, counts, args,
                    np.empty(0, dtype=np.float64), s, np.inf)
    if code == _NONFINITE:
        g[:] = W[_ROW_GPREV]
    success = code == _GTOL or code == _FTOL or code == _XTOL
    return RMSpropResult(W[_ROW_X].copy(), ctl[_C_F], g, int(ctl[_K]),
                         counts[0], counts[1], code, success)
