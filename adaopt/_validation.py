"""Argument checks shared by the front ends.

Every check raises ``TypeError`` or ``ValueError`` naming the argument and
the offending value, so that bad input never reaches a compiled kernel
(where it would surface as a Numba typing error or a silently wrong result).
"""

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_real(name, value, *, low=None, high=None, low_open=False,
               high_open=False, allow_none=False):
    """Return ``value`` as a float after checking it is a real in range.

    ``low``/``high`` bound the value (inclusive unless ``*_open``); NaN is
    always rejected.  Booleans are rejected: ``lr=True`` is a bug.
    """
    # A plain float skips the type checks: a schedule's value is checked at
    # every step, where the general path (an ABC isinstance, np.isnan) cost
    # about 2 µs.
    if value.__class__ is not float:
        if value is None and allow_none:
            return None
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


def check_params(params, name="params"):
    """Check the user's parameter vector: a writable C-contiguous 1-D float array."""
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
    if not params.flags.writeable:
        raise ValueError(f"{name} must be writeable (it is updated in place)")
    return params


def check_grad(grad, params, name="grad", overlap=True):
    """Check a gradient against the parameter vector it belongs to.

    ``overlap=False`` leaves out the shared-memory test, for callers whose
    compiled loop makes it itself (``np.shares_memory`` costs about 0.3 µs,
    a third of what a small step may spend in Python).
    """
    # The common valid case in one test that builds no shape tuples (each
    # ``.shape`` is a new tuple); anything else takes the checks below,
    # which name what is wrong.
    if (not overlap and grad.__class__ is np.ndarray and grad.dtype is params.dtype
            and grad.ndim == 1 == params.ndim and grad.size == params.size
            and grad.flags.c_contiguous):
        return grad
    if not isinstance(grad, np.ndarray) or isinstance(grad, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a numpy.ndarray (a masked array's mask would be "
                        f"ignored), got {type(grad).__name__}")
    if grad.dtype != params.dtype:
        raise TypeError(f"{name} must have the dtype of params ({params.dtype}), "
                        f"got {grad.dtype}")
    if grad.shape != params.shape:
        raise ValueError(f"{name} must have the shape of params {params.shape}, "
                         f"got {grad.shape}")
    if not grad.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if overlap and np.shares_memory(grad, params):
        raise ValueError(f"{name} must not share memory with params")
    return grad
