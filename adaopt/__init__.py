"""adaopt: Numba-compiled RMSprop-family optimizers for flat parameter vectors.

Front ends
----------
minimize
    ``scipy.optimize.minimize``'s interface, solved with RMSprop.
rmsprop
    The same solver as ``scipy.optimize.minimize(..., method=adaopt.rmsprop)``.
multistart, MultiStartResult
    ``minimize`` from every row of a 2-D array of starts, in parallel when
    the objective is Numba-jitted, and its result.
rmsprop_njit
    The compiled loop as a function for users' own ``@numba.njit`` code.
chunked_objective
    An objective summed over the row blocks of Dask arrays, computed on the
    cluster where the blocks live (Dask imported on the first call).
RMSprop
    Optimizer object for hand-written training loops: ``opt.step(grad)``
    updates a flat float32/float64 vector in place.
Optimizer
    The small base class of adaopt's optimizers.
ParamLayout
    Several named arrays in one flat buffer, for models with many arrays.
schedules
    Learning-rate schedules.

Importing adaopt compiles nothing: each kernel compiles (or loads from the
on-disk cache) on its first use.
"""

from . import _compile_notice, schedules, status
from .chunked import chunked_objective
from ._minimize import minimize
from ._njit_entry import NJIT_ENTRIES
from ._optimizer import NonFiniteUpdateError, Optimizer
from ._optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam,
                          RMSprop)
from ._scipy_method import CUSTOM_METHODS
from .layout import ParamLayout

# every method's scipy custom method (adaopt.adam) and njit entry point
# (adaopt.adam_njit), made from its description
globals().update(CUSTOM_METHODS, **NJIT_ENTRIES)

__version__ = "0.1.0"

# one line on stderr when a first use compiles (cheap: registers a listener)
_compile_notice.install()

def __getattr__(name):
    # multistart's result subclasses scipy.optimize.OptimizeResult, so its
    # module imports scipy.optimize: loaded on first use, not with adaopt
    # (scipy.optimize is three quarters of adaopt's import time otherwise)
    if name in ("multistart", "MultiStartResult"):
        from . import _multistart
        return getattr(_multistart, name)
    raise AttributeError(f"module 'adaopt' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = ["RMSprop", "Adam", "AdamW", "Adagrad", "SGD", "Adamax", "Adadelta", "RAdam",
           "NAdam",
           *CUSTOM_METHODS, *NJIT_ENTRIES,
           "Optimizer", "NonFiniteUpdateError", "ParamLayout",
           "schedules", "status", "minimize", "multistart",
           "MultiStartResult", "chunked_objective", "__version__"]
