r"""``adaopt.minimize``: RMSprop behind the interface of :func:`scipy.optimize.minimize`.

This module parses and checks the arguments (once) into a
:class:`adaopt.driver.Problem` and hands it to a driver; the iteration
itself, with the exact order of the stopping tests, lives in
:mod:`adaopt.driver`.  :func:`adaopt.rmsprop` (scipy's custom-method
protocol) goes through the same :func:`parse_problem` and drivers.
"""

import inspect
import math
import numbers
import sys
import warnings

import numpy as np
from scipy.optimize import Bounds, OptimizeWarning

from . import compiled as _compiled
from . import driver as _driver
from . import kernels as _kernels
from ._validation import check_real, native_arrays
from .finite_differences import FD_METHODS
from .rmsprop import RMSprop

__all__ = ["minimize", "parse_problem", "OPTION_DEFAULTS", "METHODS"]

#: Methods :func:`minimize` knows (scipy's ``method`` argument).
METHODS = ("rmsprop",)

#: The hyperparameters of :class:`adaopt.RMSprop` accepted as options, with
#: the optimizer's own defaults.
RMSPROP_OPTIONS = {
    "lr": 1e-3, "rho": 0.9, "eps": 1e-8, "momentum": 0.0, "nesterov": False,
    "centered": False, "weight_decay": 0.0, "decoupled_weight_decay": False,
    "maximize": False, "eps_in_sqrt": False, "bias_correction": False,
    "initial_scale": 0.0, "clip_value": None, "clip_norm": None,
    "lr_schedule": None,
}

#: Every option and its default (see :func:`minimize` for the reasoning).
OPTION_DEFAULTS = {
    **RMSPROP_OPTIONS,
    "maxiter": 10000,
    "maxfev": None,
    "gtol": 1e-5,
    "ftol": 0.0,
    "xtol": 0.0,
    "disp": False,
    "progress": 0,
    # Which loop runs the problem: 'auto' picks the best one available.
    # (The compiled driver of adaopt.compiled registers itself in DRIVERS.)
    "driver": "auto",
}

#: Drivers by name: ``name -> run(problem) -> OptimizeResult``.  ``'auto'``
#: asks :func:`choose_driver`.
DRIVERS = {"python": _driver.run_python, "compiled": _compiled.run_compiled}

#: Iterations between two progress lines for ``progress=True``.
PROGRESS_DEFAULT_EVERY = 1000


def choose_driver(problem):
    """Name of the driver ``driver='auto'`` runs ``problem`` with.

    ``'compiled'`` when it can run the problem (jitted ``fun`` and ``jac``
    or ``jac=True``, no callback) and the vector is shorter than
    :data:`adaopt.kernels.PARALLEL_THRESHOLD` (the compiled driver steps with
    the serial kernel; longer vectors gain more from the parallel one than
    from a compiled loop); else ``'python'``.
    """
    if (not _kernels.use_parallel(problem.x0.size)
            and _compiled.compiled_driver_unsupported(problem) is None):
        return "compiled"
    return "python"


def minimize(fun, x0, args=(), method="rmsprop", jac=None, bounds=None, tol=None,
             callback=None, options=None):
    r"""Minimize a scalar function with RMSprop, the way :func:`scipy.optimize.minimize` does.

    Each iteration evaluates :math:`f(x_k)` and :math:`g_k = \nabla f(x_k)`
    once and takes one :class:`adaopt.RMSprop` step (see that class for the
    update rule), projected on the bounds:

    .. math::

        x_{k+1} = P_{[l, u]}\bigl(x_k - \eta_k\, u_k(g_k)\bigr),
        \qquad P_{[l,u]}(x) = \min(\max(x, l), u).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, ``x`` a 1-D array of ``x0``'s dtype.
        Each call of a Python ``fun`` (and ``jac``) gets its own copy of the
        iterate, as with scipy: it may modify or keep it.  The value must be
        a real scalar (a 1-element array is accepted) at every call; anything
        else raises ``ValueError`` at that call.
    x0 : array_like
        Starting point: ``np.atleast_1d`` of it must be 1-D and finite.
        Integers become float64; float32 stays float32 (the whole run is then
        float32); float64 stays float64, in either byte order.  It is never
        modified.  A masked array with masked elements raises ``TypeError``;
        one with nothing masked is taken by its values.
    args : tuple, optional
        Extra arguments of ``fun`` and ``jac``; a non-tuple is wrapped as
        ``(args,)``.  For a Numba-jitted ``fun`` or ``jac``, an array in the
        other byte order or unaligned (which Numba would refuse or misread)
        is passed as a native copy with the same values.
    method : str, default 'rmsprop'
        Only ``'rmsprop'`` (or :func:`adaopt.rmsprop` itself); anything else
        raises ``ValueError`` listing the choices.
    jac : callable, bool or str, optional
        * callable ``jac(x, *args) -> array`` of shape ``(n,)``; a gradient
          of another dtype or byte order, a list or tuple, a strided,
          read-only or unaligned array, a column ``(n, 1)`` or row ``(1, n)``
          is converted to a 1-D array of ``x0``'s dtype (any other shape
          raises ``ValueError``, a complex gradient ``TypeError``);
        * ``True``: ``fun`` returns ``(f, g)`` (one call per iteration);
        * ``None``, ``False``, ``'2-point'``, ``'3-point'``, ``'cs'``: finite
          differences (``None``/``False`` mean ``'2-point'``), every call
          counted in ``nfev`` (``m + 1``, ``2m + 1``, ``m + 1`` per
          iteration for ``m`` free variables).  Every evaluation point lies
          in the bounds; a variable fixed by ``lo == hi`` is never stepped
          and its derivative is 0.  See :mod:`adaopt.finite_differences`
          for the steps and why adaopt has its own.

        A stochastic ``jac`` (a fresh minibatch at each call) is fine: each
        iteration calls it exactly once.
    bounds : scipy.optimize.Bounds or sequence of (lo, hi), optional
        Box constraints; ``None`` in a pair means unbounded.  Every iterate is
        projected into the box; an ``x0`` outside is clipped into it with an
        :class:`~scipy.optimize.OptimizeWarning` (as Nelder-Mead does).
        ``lo > hi`` raises ``ValueError``.
    tol : float, optional
        Sets ``gtol`` unless ``options`` gives it (scipy's rule for
        gradient methods).
    callback : callable, optional
        ``callback(intermediate_result)`` (detected, as scipy does, by a
        single parameter named ``intermediate_result``) receives an
        :class:`~scipy.optimize.OptimizeResult` with ``x``, ``fun`` (f at that
        ``x``) and ``nit``; any other callable is called as
        ``callback(xk)`` with a copy of the iterate.  It runs after every
        iteration whose ``f`` and ``g`` are finite; raising
        ``StopIteration`` stops the run with status 99, and stopping at
        iteration ``k`` gives the same ``x``, ``fun``, ``nit`` as
        ``maxiter=k``.
    options : dict, optional
        The hyperparameters of :class:`adaopt.RMSprop` with its defaults
        (``lr=1e-3, rho=0.9, eps=1e-8, momentum, nesterov, centered,
        weight_decay, decoupled_weight_decay, maximize, eps_in_sqrt,
        bias_correction, initial_scale, clip_value, clip_norm,
        lr_schedule``), and:

        maxiter : int, default 10000
            Iteration limit.  Any real number is accepted, as scipy does:
            the run stops at the first ``nit >= maxiter`` (``100.1`` allows
            101 iterations); ``math.inf`` means none; beyond float range
            (``10**400``) is a ``ValueError``.  RMSprop moves each coordinate by about ``lr``
            per step whatever ``n`` is, so the default does not grow with
            ``n`` (scipy's quasi-Newton defaults do); 10000 steps of the
            default ``lr=1e-3`` cross a distance of about 10.
        maxfev : int, optional
            Limit on calls of ``fun``; the run stops before an iteration
            whose calls would exceed it (the first evaluation always runs).
            A non-integer is rounded down.
        gtol : float, default 1e-5
            Stop when :math:`\lVert g_k\rVert_\infty \le` ``gtol``, as BFGS
            does, with :math:`g_k` the *projected* gradient when there are
            bounds (L-BFGS-B's ``pgtol``): component :math:`i` counts as 0
            where :math:`x_i` is on its lower bound and :math:`g_i > 0`, or
            on its upper bound and :math:`g_i < 0` (signs flipped with
            ``maximize``), so a solution on a bound reports success.
            ``res.jac`` is the full gradient.  With a constant ``lr`` RMSprop keeps moving by about
            ``lr`` near a minimum, so reaching a small ``gtol`` usually takes
            a decaying ``lr_schedule``.
        ftol : float, default 0 (off)
            Stop when :math:`|f_{k-1} - f_k| \le \mathrm{ftol}\,
            \max(|f_{k-1}|, |f_k|, 1)` (L-BFGS-B's test).  Off by default:
            RMSprop does not decrease ``f`` monotonically, and with a
            minibatch objective one small change of ``f`` says little.
        xtol : float, default 0 (off)
            Stop when :math:`\lVert x_k - x_{k-1}\rVert_\infty \le`
            ``xtol``.  Off by default: the step length follows ``lr`` (the
            gradient is normalized), so it measures the schedule more than
            convergence.
        disp : bool, default False
            Print scipy's summary (message, f, counts) at the end.
        progress : int or bool, default 0
            Print iteration, ``f``, :math:`\lVert g\rVert_\infty` and
            iterations per second every ``progress`` iterations (``True``:
            every 1000), starting with iteration 0.
        driver : {'auto', 'python', 'compiled'}, default 'auto'
            Which loop runs the problem.  ``'python'``: the interpreted loop
            of :func:`adaopt.driver.run_python`.  ``'compiled'``: the whole
            loop in Numba's nopython mode (:mod:`adaopt.compiled`), tens of
            nanoseconds per iteration of overhead instead of microseconds;
            it needs ``fun`` and ``jac`` to be Numba-jitted functions (or
            ``jac=True`` with a jitted ``fun``) and no ``callback``, and
            compiles once per objective (cached on disk).  ``'auto'``
            takes ``'compiled'`` when it can and the vector is shorter than
            ``adaopt.kernels.PARALLEL_THRESHOLD``.  Both give the same
            result to the bit.

        An unknown option raises an :class:`~scipy.optimize.OptimizeWarning`
        naming it and is ignored.  (RMSprop's ``nonfinite`` is not an
        option: minimize always stops at a non-finite value, see below.)

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun`` (f at ``x``), ``jac`` (g at ``x``), ``nit``, ``nfev``,
        ``njev`` (0 with finite differences), ``status``, ``success``,
        ``message``.  Statuses (:mod:`adaopt.status`): 0 ``gtol`` reached,
        1 ``maxiter``, 2 ``maxfev``, 3 non-finite ``f`` or ``g`` (``x`` is
        the last iterate where both were finite), 4 ``ftol``, 5 ``xtol``,
        6 ``KeyboardInterrupt`` (``x`` is the last fully evaluated iterate:
        the work done is returned, not lost), 99 callback ``StopIteration``.
        ``success`` is True for 0, 4 and 5.  (Status 7 is never returned:
        see Raises.)

    Raises
    ------
    Exception
        Any exception from ``fun``, ``jac``, the callback or
        ``lr_schedule`` propagates unchanged, as scipy lets it: the same
        object, type and traceback.  It carries the run so far as its
        attribute ``adaopt_result``: an :class:`~scipy.optimize.OptimizeResult`
        of the last iterate whose ``f`` and ``g`` were evaluated (``x``,
        ``fun``, ``jac``, ``nit``; ``x0`` with ``fun = nan`` if the very
        first evaluation raised), with ``nfev``/``njev`` counting every call
        made (the one that raised too), status 7, ``success`` False.  The
        same holds for both drivers, to the bit.

        ``lr_schedule(t)`` is called only for steps ``t`` the run can take,
        ``t <= maxiter`` and within ``maxfev`` (so a schedule or a list of
        rates of length ``maxiter`` is enough), and its failure at step
        ``t`` (an exception, or a rate that is negative, infinite, NaN or
        not a real number) is raised only if the run takes step ``t``: a run
        that a stopping test ends first returns as usual.

    See Also
    --------
    adaopt.rmsprop : the same solver as ``scipy.optimize.minimize(...,
        method=adaopt.rmsprop)``.
    adaopt.driver : the iteration and the order of its stopping tests.

    Examples
    --------
    The 2-D Rosenbrock function from (-1.2, 1), with a cosine-decaying
    learning rate:

    >>> import adaopt
    >>> from adaopt.problems import Rosenbrock
    >>> p = Rosenbrock()
    >>> res = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(
    ...     lr_schedule=adaopt.schedules.cosine_decay(0.01, 20000), maxiter=20000))
    >>> res.x.round(3), res.status, res.message
    (array([1., 1.]), 0, 'Optimization terminated successfully: gradient norm <= gtol.')
    """
    problem = parse_problem(fun, x0, args=args, method=method, jac=jac,
                            bounds=bounds, tol=tol, callback=callback,
                            options=options)
    return run(problem)


def run(problem):
    """Run a parsed problem with the driver its ``driver`` option names."""
    name = problem.driver
    if name == "auto":
        name = choose_driver(problem)
    return DRIVERS[name](problem)


def parse_problem(fun, x0, args=(), method="rmsprop", jac=None, bounds=None,
                  tol=None, callback=None, options=None):
    """Check the arguments of :func:`minimize` and return a :class:`~adaopt.driver.Problem`.

    Everything is checked here, before anything runs: a bad argument raises
    ``TypeError``/``ValueError`` naming it.
    """
    _check_method(method)
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {fun!r}")
    if not isinstance(args, tuple):
        args = (args,)
    if _compiled.is_jitted(fun) or _compiled.is_jitted(jac):
        args = native_arrays(args)   # what Numba cannot read as it is, converted
    x0 = check_x0(x0)
    jac_mode, jac = _parse_jac(jac)
    opts = _parse_options(options, tol)
    lower, upper = parse_bounds(bounds, x0)
    if lower is not None and (np.any(x0 < lower) or np.any(x0 > upper)):
        warnings.warn("Initial guess is not within the specified bounds",
                      OptimizeWarning, stacklevel=3)
        x0 = np.minimum(np.maximum(x0, lower), upper)
    hyper = {name: opts[name] for name in RMSPROP_OPTIONS}
    RMSprop(x0.copy(), **hyper)   # checks every hyperparameter, naming a bad one
    problem = _driver.Problem(
        fun=fun, jac=jac, jac_mode=jac_mode, args=args, x0=x0, lower=lower,
        upper=upper, hyper=hyper, maxiter=opts["maxiter"], maxfev=opts["maxfev"],
        gtol=opts["gtol"], ftol=opts["ftol"], xtol=opts["xtol"],
        callback=normalize_callback(callback), disp=opts["disp"],
        progress=opts["progress"], driver=opts["driver"])
    return problem


def _check_method(method):
    from .scipy_method import rmsprop
    if method is rmsprop:
        return
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {method!r}")


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
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise ValueError("bounds must not contain NaN")
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        i = bad[0]
        raise ValueError(f"bounds: lower bound > upper bound at index {i} "
                         f"({lo[i]!r} > {hi[i]!r})")
    if np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)):
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


def _parse_options(options, tol):
    opts = dict(OPTION_DEFAULTS)
    given = dict(options or {})
    unknown = sorted(set(given) - set(OPTION_DEFAULTS), key=str)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(map(str, unknown))}",
                      OptimizeWarning, stacklevel=4)
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
    if driver != "auto" and driver not in DRIVERS:
        raise ValueError(f"driver must be one of "
                         f"{', '.join(map(repr, ['auto', *DRIVERS]))}, got {driver!r}")
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
