r"""Problem setup: the arguments of ``minimize`` checked once, and the run's work arrays.

:func:`parse_problem` checks every argument of :func:`adaopt.minimize` (and
of the scipy custom method and ``multistart``, which call it) before
anything runs, and returns a :class:`Problem` that every driver runs as it
is.  :func:`make_workspace` lays out and fills a run's arrays
(:mod:`adaopt._workspace`) from the problem and its method's description.
"""

import dataclasses
import inspect
import math
import numbers
import sys
import warnings
from typing import Any, Callable, Optional

import numpy as np

from . import _feedback
from ._adadelta import ADADELTA
from ._adagrad import ADAGRAD
from ._adam import ADAM, ADAMW
from ._adamax import ADAMAX
from ._learning_rate import check_schedule
from ._method import Method
from ._nadam import NADAM
from ._radam import RADAM
from ._rmsprop import RMSPROP
from ._sgd import SGD_METHOD
from ._validation import check_real, is_jitted, native_arrays, optimize_warning
from ._workspace import (CTL_SIZE, check_box, fill_control, fill_workspace,
                         iteration_limit_from_maxfev, workspace_rows)
from .finite_differences import FD_METHODS, calls_per_gradient, free_variables
from .schedules import FeedbackRule, bold_driver

__all__ = ["Problem", "Workspace", "parse_problem", "make_workspace", "check_x0",
           "parse_bounds", "normalize_callback", "option_defaults", "no_policy_options",
           "METHODS", "DRIVER_NAMES", "method_of"]

#: The method descriptions ``minimize`` knows, by the name of its ``method``
#: argument.
METHODS = {m.name: m for m in (RMSPROP, ADAM, ADAMW, ADAGRAD, SGD_METHOD, ADAMAX,
                                ADADELTA, RADAM, NADAM)}

#: The ``driver`` option's choices (the loops themselves sit above this layer).
DRIVER_NAMES = ("auto", "python", "compiled")

#: The options every method has, with their defaults (see :func:`adaopt.minimize`).
COMMON_OPTIONS = {
    # the default policy: the rate follows f (adaopt.schedules.bold_driver;
    # docs/guide/minimize.rst has why); None is a constant rate
    "lr_schedule": bold_driver(),
    "maxiter": 10000,
    "maxfev": None,
    "gtol": 1e-5,
    "ftol": 0.0,
    "xtol": 0.0,
    "disp": False,
    "progress": 0,
    # Which loop runs the problem: 'auto' picks the best one available.
    "driver": "auto",
}

#: Iterations between two progress lines for ``progress=True``.
PROGRESS_DEFAULT_EVERY = 1000


def option_defaults(method):
    """Every option of ``minimize`` with ``method`` and its default: the
    method's hyperparameters (its description's defaults) and the common ones."""
    return {**method.minimize_defaults, **COMMON_OPTIONS}


def no_policy_options(method):
    """``minimize``'s options that switch its default policy off for ``method``:
    a constant rate and the optimizer object's (PyTorch's) defaults where
    ``minimize``'s differ; the run is then the object's run."""
    return {"lr_schedule": None, **method.object_defaults_in_minimize}


def method_of(method):
    """The description of ``method``: a name (any case), or a front end carrying
    one (the scipy custom method's ``adaopt_method``); else ``ValueError``."""
    found = getattr(method, "adaopt_method", None)
    if isinstance(found, Method):
        return found
    if isinstance(method, str) and method.lower() in METHODS:
        return METHODS[method.lower()]
    raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, "
                     f"got {method!r}")


@dataclasses.dataclass
class Problem:
    """A minimization problem, parsed and checked by :func:`adaopt.minimize`.

    Every field is already valid; a driver only runs it.

    Attributes
    ----------
    fun : callable
        The user's objective ``fun(x, *args)``; with ``jac_mode='combined'``
        it returns ``(f, g)``.
    jac : callable or None
        ``jac(x, *args) -> g`` when ``jac_mode == 'callable'``.
    jac_mode : {'callable', 'combined', '2-point', '3-point', 'cs'}
        Where the gradient comes from; the last three are finite differences
        (:mod:`adaopt.finite_differences`).
    args : tuple
        Extra arguments of ``fun`` and ``jac``.
    x0 : ndarray
        A private copy of the starting point, 1-D float32 or float64,
        finite, inside the bounds.
    lower, upper : ndarray or None
        Bounds of ``x0``'s dtype and shape (``-inf``/``inf`` where open), or
        both None when unbounded.
    method : adaopt._method.Method
        The method's description.
    hyper : dict
        Its hyperparameters, checked by it (``lr`` included).
    lr_schedule : callable or None
        ``lr_schedule(t) -> lr``; None for the constant ``hyper['lr']`` or a
        feedback rule.
    lr_rule : adaopt.schedules.FeedbackRule or None
        The rule that sets the rate from ``f`` (:mod:`adaopt._feedback`),
        given as the ``lr_schedule`` option; None for none.
    maxiter, maxfev : int
        Iteration and evaluation limits (``maxfev`` may be None).
    gtol, ftol, xtol : float
        Stopping tolerances (0 switches ``ftol``/``xtol`` off).
    callback : callable or None
        ``callback(intermediate_result)``; a legacy ``callback(xk)`` has been
        wrapped into this form already.
    disp : bool
        Print a summary at the end.
    progress : int
        Print a progress line every ``progress`` iterations (0: never).
    driver : str
        The ``driver`` option, one of :data:`DRIVER_NAMES`.
    out : callable
        Where ``disp`` and ``progress`` print (``print``).
    """

    fun: Callable
    jac: Optional[Callable]
    jac_mode: str
    args: tuple
    x0: np.ndarray
    lower: Optional[np.ndarray]
    upper: Optional[np.ndarray]
    method: Any
    hyper: dict
    lr_schedule: Optional[Callable]
    maxiter: int
    maxfev: Optional[int]
    gtol: float
    ftol: float
    xtol: float
    lr_rule: Optional[FeedbackRule] = None
    callback: Optional[Callable] = None
    disp: bool = False
    progress: int = 0
    driver: str = "auto"
    out: Any = print

    @property
    def evaluations_per_iteration(self):
        """Calls of ``fun`` per iteration (finite differences need more than 1)."""
        if self.jac_mode in ("callable", "combined"):
            return 1
        return calls_per_gradient(self.jac_mode,
                                  free_variables(self.lower, self.upper, self.x0.size))

    @property
    def iteration_limit_from_maxfev(self):
        """``kfev``: the last iteration index whose evaluations fit in ``maxfev``."""
        if self.maxfev is None:
            return math.inf
        return iteration_limit_from_maxfev(self.maxfev, self.evaluations_per_iteration)

    @property
    def iteration_limit(self):
        """The last step a run can take: ``maxiter`` or the ``maxfev`` limit,
        whichever comes first (inf for neither)."""
        return min(self.maxiter, self.iteration_limit_from_maxfev)


@dataclasses.dataclass
class Workspace:
    """The arrays of one run (:mod:`adaopt._workspace`) and what fills them.

    ``prepare`` says whether the step's scalars are prepared at every step
    (a schedule, or a method whose scalars change with ``t``); else ``hp``
    holds the constant rate's scalars for every step.
    """

    W: np.ndarray
    hp: np.ndarray
    cfg: np.ndarray
    ctl: np.ndarray
    flavour: tuple
    prepare: bool


def make_workspace(problem):
    """The :class:`Workspace` of a run of ``problem``, nothing evaluated yet."""
    method, x0 = problem.method, problem.x0
    cfg = method.settings(problem.hyper)
    flavour = method.flavour(cfg)
    bounded = problem.lower is not None
    W = np.empty((workspace_rows(sum(flavour), bounded), x0.size), dtype=x0.dtype)
    fill_workspace(W, x0, problem.lower, problem.upper, bounded,
                   method.initial_state(cfg, flavour))
    hp = np.empty(method.hp_size, dtype=x0.dtype)
    method.fixed_scalars(hp, cfg)
    rule = problem.lr_rule
    prepare = (problem.lr_schedule is not None or rule is not None
               or method.per_step(cfg))
    ctl = np.empty(CTL_SIZE)
    fill_control(ctl, problem.gtol, problem.ftol, problem.xtol, problem.maxiter,
                 problem.iteration_limit_from_maxfev, bounded, prepare)
    if rule is not None:
        _feedback.fill_rule(ctl, rule.block(), problem.hyper["lr"],
                            -1.0 if problem.hyper.get("maximize", False) else 1.0)
    return Workspace(W, hp, cfg, ctl, flavour, prepare)


def parse_problem(fun, x0, args=(), method="rmsprop", jac=None, bounds=None,
                  tol=None, callback=None, options=None):
    """Check the arguments of :func:`adaopt.minimize` and return a :class:`Problem`.

    Everything is checked here, before anything runs: a bad argument raises
    ``TypeError``/``ValueError`` naming it.
    """
    method = method_of(method)
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {fun!r}")
    if not isinstance(args, tuple):
        args = (args,)
    if is_jitted(fun) or is_jitted(jac):
        args = native_arrays(args)   # what Numba cannot read as it is, converted
    x0 = check_x0(x0)
    jac_mode, jac = _parse_jac(jac)
    opts = _parse_options(options, tol, method)
    lower, upper = parse_bounds(bounds, x0)
    if lower is not None and (np.any(x0 < lower) or np.any(x0 > upper)):
        warnings.warn("Initial guess is not within the specified bounds",
                      optimize_warning(), stacklevel=3)
        x0 = np.minimum(np.maximum(x0, lower), upper)
    # every hyperparameter checked by the method's description, naming a bad one
    hyper = method.check({name: opts[name] for name in method.minimize_defaults})
    schedule = opts["lr_schedule"]
    rule = None
    if isinstance(schedule, FeedbackRule):
        schedule, rule = None, schedule
    schedule = check_schedule(schedule)
    return Problem(
        fun=fun, jac=jac, jac_mode=jac_mode, args=args, x0=x0, lower=lower,
        upper=upper, method=method, hyper=hyper,
        lr_schedule=schedule, lr_rule=rule, maxiter=opts["maxiter"],
        maxfev=opts["maxfev"], gtol=opts["gtol"], ftol=opts["ftol"], xtol=opts["xtol"],
        callback=normalize_callback(callback), disp=opts["disp"],
        progress=opts["progress"], driver=opts["driver"])


def check_x0(x0, name="x0"):
    """Return a private, finite, 1-D float32/float64 copy of ``x0`` (scipy's rules).

    The copy is C-contiguous, aligned and in native byte order whatever
    ``x0`` is (``'>f8'`` becomes float64, ``'>f4'`` float32).

    ``name`` is the argument the errors name (``multistart`` checks its
    flattened ``x0s`` here).
    """
    if isinstance(x0, np.ma.MaskedArray):
        if np.ma.is_masked(x0):
            raise TypeError(f"{name} must not be a masked array with masked elements "
                            "(scipy would silently use the values under the mask); "
                            f"pass {name}.filled(value) or the values to start from")
        x0 = np.ma.getdata(x0)     # nothing masked: its values, as scipy takes them
    arr = np.atleast_1d(np.asarray(x0))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (after np.atleast_1d), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind == "f" and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))   # '>f8' -> float64
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be real floating point (float32 or float64) or "
                        f"integer, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr!r}")
    return np.array(arr, order="C", copy=True)


def _parse_jac(jac):
    if callable(jac):
        return "callable", jac
    if jac is True:
        return "combined", None
    if jac is None or jac is False:
        return "2-point", None
    if isinstance(jac, str) and jac in FD_METHODS:
        return jac, None
    raise ValueError("jac must be a callable, True, None, False or one of "
                     f"{', '.join(map(repr, FD_METHODS))}, got {jac!r}")


def parse_bounds(bounds, x0):
    """Return ``(lower, upper)`` arrays of ``x0``'s dtype, or ``(None, None)``.

    Accepts :class:`scipy.optimize.Bounds` or a sequence of ``(lo, hi)``
    pairs with ``None`` for an open side.  All-infinite bounds count as none.
    """
    if bounds is None:
        return None, None
    from scipy.optimize import Bounds    # only with bounds (adaopt._validation.optimize_warning)
    n = x0.size
    if isinstance(bounds, Bounds):
        lo, hi = np.asarray(bounds.lb, dtype=float), np.asarray(bounds.ub, dtype=float)
        try:
            lo, hi = np.broadcast_to(lo, (n,)), np.broadcast_to(hi, (n,))
        except ValueError:
            raise ValueError(f"bounds do not match x0 of length {n}: lb has shape "
                             f"{lo.shape}, ub has shape {hi.shape}") from None
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise TypeError("bounds must be a scipy.optimize.Bounds or a sequence of "
                            f"(lo, hi) pairs, got {bounds!r}") from None
        if len(pairs) != n:
            raise ValueError(f"bounds must have one (lo, hi) pair per element of x0 "
                             f"({n}), got {len(pairs)}")
        lo, hi = np.empty(n), np.empty(n)
        for i, pair in enumerate(pairs):
            try:
                a, b = pair
            except (TypeError, ValueError):
                raise ValueError(f"bounds[{i}] must be a pair (lo, hi), got "
                                 f"{pair!r}") from None
            lo[i] = -np.inf if a is None else float(a)
            hi[i] = np.inf if b is None else float(b)
    first_bad, bounded = check_box(lo, hi)
    if first_bad >= 0:
        i = first_bad
        if np.isnan(lo[i]) or np.isnan(hi[i]):
            raise ValueError("bounds must not contain NaN")
        raise ValueError(f"bounds: lower bound > upper bound at index {i} "
                         f"({lo[i]!r} > {hi[i]!r})")
    if not bounded:
        return None, None
    return (np.ascontiguousarray(lo, dtype=x0.dtype),
            np.ascontiguousarray(hi, dtype=x0.dtype))


def normalize_callback(callback):
    """Return ``callback`` as a function of one OptimizeResult (or None).

    ``callback(intermediate_result)`` is recognized, as scipy does, by its
    signature having exactly one parameter named ``intermediate_result``;
    any other callable is a legacy ``callback(xk)`` and gets a copy of ``x``.
    """
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {callback!r}")
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):   # some builtins have no signature
        params = set()
    if params == {"intermediate_result"}:
        def new_style(res):
            return callback(intermediate_result=res)
        return new_style

    def legacy(res):
        return callback(np.copy(res.x))
    return legacy


def _parse_options(options, tol, method):
    defaults = option_defaults(method)
    opts = dict(defaults)
    given = dict(options or {})
    unknown = sorted(set(given) - set(defaults), key=str)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(map(str, unknown))}",
                      optimize_warning(), stacklevel=4)
        for key in unknown:
            del given[key]
    if tol is not None:
        given.setdefault("gtol", tol)
    opts.update(given)
    opts["maxiter"] = _check_limit("maxiter", opts["maxiter"], low=0, round_up=True)
    if opts["maxfev"] is not None:
        opts["maxfev"] = _check_limit("maxfev", opts["maxfev"], low=1, round_up=False)
        if opts["maxfev"] == math.inf:
            opts["maxfev"] = None
    for name in ("gtol", "ftol", "xtol"):
        opts[name] = check_real(name, opts[name], low=0.0)
    disp = opts["disp"]
    if not isinstance(disp, (bool, np.bool_, numbers.Integral)):
        raise TypeError(f"disp must be True or False, got {disp!r}")
    opts["disp"] = bool(disp)
    progress = opts["progress"]
    if progress is True:
        progress = PROGRESS_DEFAULT_EVERY
    opts["progress"] = _check_count("progress", progress if progress is not False
                                    else 0, low=0)
    driver = opts["driver"]
    if driver not in DRIVER_NAMES:
        raise ValueError(f"driver must be one of "
                         f"{', '.join(map(repr, DRIVER_NAMES))}, got {driver!r}")
    return opts


def _check_count(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def _check_limit(name, value, low, round_up):
    """``maxiter``/``maxfev`` as an int, or ``math.inf`` for no limit.

    Any real number is accepted, as scipy does (``maxiter=1e4``, ``100.1``):
    the run stops at the first ``nit >= maxiter`` (so ``maxiter=100.1``
    allows 101 iterations, as scipy's BFGS and L-BFGS-B) and never lets
    ``nfev`` exceed ``maxfev`` (``round_up=False`` rounds down).  A value
    beyond float range (``10**400``) raises ``ValueError``: the limits are
    compared as floats.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        as_float = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be at most {sys.float_info.max:.4g} (math.inf for "
                         f"no limit), got an integer of {len(str(abs(value)))} "
                         "digits") from None
    if as_float != as_float:
        raise ValueError(f"{name} must not be NaN")
    if as_float < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if as_float == math.inf:
        return math.inf
    if isinstance(value, numbers.Integral):
        return int(value)
    return math.ceil(as_float) if round_up else math.floor(as_float)
