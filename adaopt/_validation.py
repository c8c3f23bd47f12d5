"""Argument checks shared by the front ends.

Every check raises ``TypeError`` or ``ValueError`` naming the argument and
the offending value, so that bad input never reaches a compiled kernel
(where it would surface as a Numba typing error or a silently wrong result).
"""

import math
import numbers

import numpy as np
from numba.core.dispatcher import Dispatcher

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def optimize_warning():
    """:class:`scipy.optimize.OptimizeWarning`, imported on first use.

    ``import adaopt`` does not import scipy.optimize: it is three quarters
    of adaopt's import time (about 0.25 s), and the optimizer objects never
    need it.  (Results import it too: adaopt._iteration.optimize_result.)
    """
    from scipy.optimize import OptimizeWarning
    return OptimizeWarning


def check_real(name, value, *, low=None, high=None, low_open=False,
               high_open=False, allow_none=False):
    """Return ``value`` as a float after checking it is a real in range.

    ``low``/``high`` bound the value (inclusive unless ``*_open``); NaN is
    always rejected.  Booleans are rejected: ``lr=True`` is a bug.  A NumPy
    scalar or a 0-d integer or float array counts as its value.
    """
    # A plain float skips the type checks: a schedule's value is checked at
    # every step, where the general path (an ABC isinstance, np.isnan) cost
    # about 2 µs.
    if value.__class__ is not float:
        if value is None and allow_none:
            return None
        if (isinstance(value, np.ndarray) and value.ndim == 0
                and value.dtype.kind in "iuf"):
            value = value[()]   # a 0-d array (lr=np.array(1e-3)), as PyTorch takes a 0-d tensor
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {value!r} "
                            f"of type {type(value).__name__}")
        try:
            value = float(value)
        except OverflowError:   # an int beyond float range (10**400)
            raise ValueError(f"{name} must be finite, got an integer of "
                             f"{len(str(abs(value)))} digits") from None
    if value != value:
        raise ValueError(f"{name} must not be NaN")
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        op = "<" if high_open else "<="
        raise ValueError(f"{name} must be {op} {high}, got {value!r}")
    return value


def check_bool(name, value):
    """Return ``value`` as a bool; only real booleans are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value


def _layout_problem(arr, name, advice):
    """Why a compiled loop cannot read the array ``arr`` as it is, or None.

    Returns ``(exception class, message)``.  Numba's dispatcher does not
    look at byte order or alignment when it matches an argument to compiled
    code it already has: an array in the other byte order can be read as if
    it were native (wrong numbers) and an unaligned one with aligned loads.
    So both are refused here, before any compiled code sees the array.
    ``advice`` says what to do instead, with ``{fix}`` for the conversion.
    """
    if not arr.dtype.isnative:
        fix = f"{name}.astype({arr.dtype.newbyteorder('=').name!r})"
        return (TypeError, f"{name} must be in the machine's native byte order, "
                f"got dtype {arr.dtype.str!r}; " + advice.format(fix=fix))
    if not arr.flags.aligned:
        return (ValueError, f"{name} must be aligned to its element size, got an "
                "unaligned array (e.g. from np.frombuffer at an odd offset); "
                + advice.format(fix=f"np.array({name})"))
    return None


def check_params(params, name="params"):
    """Check the user's parameter vector: a writable, C-contiguous, aligned
    1-D float32/float64 array in native byte order (it is updated in place,
    so it cannot be converted)."""
    if not isinstance(params, np.ndarray) or isinstance(params, np.ma.MaskedArray):
        hint = ""
        if isinstance(params, np.ma.MaskedArray):
            hint = " (a masked array's mask would be ignored)"
        elif isinstance(params, (list, tuple)) and any(
                isinstance(p, np.ndarray) for p in params):
            # PyTorch takes a list of tensors; adaopt one flat vector
            hint = ("; to optimize several arrays, pack them into one flat vector "
                    "with adaopt.ParamLayout and pass that")
        raise TypeError(f"{name} must be a numpy.ndarray (it is updated in place), "
                        f"got {type(params).__name__}{hint}")
    problem = _layout_problem(params, name, "it is updated in place, so adaopt "
                              "cannot convert it: optimize a converted copy, {fix}")
    if problem is not None and params.dtype.kind == "f":
        raise problem[0](problem[1])
    if params.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {params.dtype}")
    if params.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {params.shape}; "
                         "use adaopt.ParamLayout to pack several arrays")
    if params.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not params.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (it is updated in place; "
                         "a strided view cannot be)")
    if problem is not None:
        raise problem[0](problem[1])
    if not params.flags.writeable:
        raise ValueError(f"{name} must be writeable (it is updated in place)")
    return params


def check_grad(grad, params, name="grad", overlap=True):
    """Check a gradient against the parameter vector it belongs to: an
    ndarray of the dtype and shape of ``params``, C-contiguous, aligned, in
    native byte order.  Strict: nothing is converted (see
    :func:`as_gradient` for the converting check of :func:`adaopt.minimize`).

    ``overlap=False`` leaves out the shared-memory test, for callers whose
    compiled loop makes it itself (``np.shares_memory`` costs about 0.3 µs,
    a third of what a small step may spend in Python).
    """
    # The common valid case in one test that builds no shape tuples (each
    # ``.shape`` is a new tuple); anything else takes the checks below,
    # which name what is wrong.  ``params.dtype`` is native (check_params),
    # so ``is`` also rules out the other byte order.
    if (not overlap and grad.__class__ is np.ndarray and grad.dtype is params.dtype
            and grad.ndim == 1 == params.ndim and grad.size == params.size
            and grad.flags.c_contiguous and grad.flags.aligned):
        return grad
    if not isinstance(grad, np.ndarray) or isinstance(grad, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a numpy.ndarray (a masked array's mask would be "
                        f"ignored), got {type(grad).__name__}")
    problem = _layout_problem(grad, name, "step() does not copy inside a "
                              "training loop: pass {fix}")
    if problem is not None and problem[0] is TypeError:
        raise problem[0](problem[1])
    if grad.dtype != params.dtype:
        raise TypeError(f"{name} must have the dtype of params ({params.dtype}), "
                        f"got {grad.dtype}")
    if grad.shape != params.shape:
        raise ValueError(f"{name} must have the shape of params {params.shape}, "
                         f"got {grad.shape}")
    if not grad.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if problem is not None:
        raise problem[0](problem[1])
    if overlap and np.shares_memory(grad, params):
        raise ValueError(f"{name} must not share memory with params")
    return grad


def as_gradient(g, x, name="the gradient (jac)"):
    """Return the gradient ``g`` as what the compiled loop reads: a writable,
    C-contiguous, aligned array of ``x``'s (native) dtype and shape.

    The converting check of :func:`adaopt.minimize` (as scipy's solvers
    convert): a list or tuple, integers or booleans, another float dtype or byte order,
    a strided, read-only or unaligned array, and a column ``(n, 1)`` or row
    ``(1, n)`` (which L-BFGS-B accepts) are converted, in one copy at most;
    anything else raises naming what was expected: ``TypeError`` for a
    complex, string or object gradient, ``ValueError`` for another shape.
    A gradient that already fits is returned as it is.
    """
    if isinstance(g, np.ma.MaskedArray) and np.ma.is_masked(g):
        raise TypeError(f"{name} must be a real array of shape {x.shape}, "
                        "got a masked array with masked elements")
    try:
        arr = np.asarray(g)
    except (TypeError, ValueError) as err:   # e.g. a ragged list
        raise TypeError(f"{name} must be a real array of shape {x.shape}, got "
                        f"{type(g).__name__} ({err})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array of shape {x.shape}, "
                        f"got dtype {arr.dtype}")
    n = x.shape[0]
    if arr.shape != x.shape:
        if arr.shape in ((n, 1), (1, n)):
            arr = arr.reshape(x.shape)     # a column or a row, as L-BFGS-B accepts
        else:
            raise ValueError(f"{name} must have shape {x.shape} like x0, "
                             f"got shape {arr.shape}")
    # One copy at most, and only when needed: to x's dtype (and native byte
    # order), C order, aligned, writeable (the compiled loop's signature).
    return np.require(arr, dtype=x.dtype, requirements=("C", "A", "W"))


def is_jitted(func):
    """Whether ``func`` is a Numba ``@jit``/``@njit`` function (a dispatcher)."""
    return isinstance(func, Dispatcher)


def native_arrays(args):
    """``args`` with each array Numba could misread replaced by a native copy.

    An array in the other byte order or unaligned, passed to a jitted
    objective, is either refused by Numba with its own error or (once such
    code exists in the process) read as if it were native: the wrong
    numbers (see :func:`_layout_problem`).  Such arrays, also inside tuples,
    become native, aligned copies with the same values; every other
    argument is passed as it is.
    """
    def native(a):
        if isinstance(a, tuple):
            return tuple(native(item) for item in a)
        if isinstance(a, np.ndarray) and not isinstance(a, np.ma.MaskedArray) and (
                not a.dtype.isnative or not a.flags.aligned):
            return np.require(a, dtype=a.dtype.newbyteorder("="), requirements="A")
        return a
    return tuple(native(a) for a in args)


def check_value(f, part=None):
    """Return a value of the objective as a float; raise ``ValueError`` if it is not one.

    A real scalar or a 1-element real array (scipy's rule) is accepted;
    anything else (complex, a string, a longer array) raises, at every call:
    the driver calls this for every value that is not already a float.
    ``part='real'``/``'imag'`` takes that part of a complex value instead (the
    complex-step differences).
    """
    if f.__class__ is float and part is None:
        return f
    if isinstance(f, numbers.Real) and not isinstance(f, (str, bytes)):
        try:
            return 0.0 if part == "imag" else float(f)
        except OverflowError:
            return math.copysign(math.inf, f)   # an integer beyond float range
    arr = None
    if not isinstance(f, (str, bytes)):
        try:
            arr = np.asarray(f)
        except Exception:   # an array-like that cannot be converted
            arr = None
    kinds = "biufc" if part is not None else "biuf"
    if arr is None or arr.size != 1 or arr.dtype.kind not in kinds:
        what = (f"an array of shape {arr.shape} and dtype {arr.dtype}"
                if isinstance(f, np.ndarray) else repr(f))
        raise ValueError("the objective function must return a real scalar (or a "
                         f"1-element array), got {what}") from None
    value = arr.reshape(()).item()
    if part == "imag":
        return float(value.imag) if isinstance(value, complex) else 0.0
    return float(value.real) if isinstance(value, complex) else float(value)
