r"""Calling a jitted objective from compiled code, with the Python driver's rules.

:func:`evaluate` calls ``fun`` (and ``jac``) from nopython code and copies
the gradient into the run's array, accepting what
:func:`adaopt._validation.as_gradient` accepts on the Python path (a real
1-D array, tuple or list, a column or a row) and refusing the rest, while
typing where the types decide and at run time where the values do.
:func:`check_jitted_returns` gives the Python driver's ``TypeError`` for
return types the loop cannot take before any driver is compiled.
"""

import numba
import numpy as np
from numba import types
from numba.extending import overload

from ._validation import as_gradient, check_value

__all__ = ["evaluate", "check_jitted_returns", "kind_of"]


def evaluate(fun, jac, x, xe, args, g, counts):  # pragma: no cover - replaced by the overload
    """Return f(x) as float64, write the gradient into ``g``, count the calls.

    ``fun`` and ``jac`` get ``xe``, refilled from ``x`` before each call.
    """


@numba.njit(inline="always", nogil=True)
def _refill(xe, x):
    """Copy the iterate ``x`` into the objective's own array ``xe``."""
    for i in range(x.shape[0]):
        xe[i] = x[i]


@overload(evaluate, inline="always")
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


def kind_of(ty):
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
    kind = kind_of(f)
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


#: The compiled loop's error for a 1-D gradient of another length than x0.
_WRONG_LENGTH = "the gradient (jac) must have the length of x0 (shape (n,) like x0)"


def _copy_gradient(grad, g):  # pragma: no cover - replaced by the overload
    """Copy the objective's gradient ``grad`` into ``g`` (x's dtype)."""


@overload(_copy_gradient, inline="always")
def _copy_gradient_overload(grad, g):
    # The rule of adaopt._validation.as_gradient: a real 1-D array, tuple or
    # list of len(x0), or a column (n, 1) or row (1, n); a wrong shape raises
    # ValueError at run time, a wrong kind is refused here, while typing.
    kind = kind_of(grad)
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
    if kind_of(fty) is None:
        raise ValueError(f"the objective function must return a real scalar, got {fty}")
    gkind = kind_of(gty)
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
