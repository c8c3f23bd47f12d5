r"""The iteration loop behind :func:`adaopt.minimize`, shared by its drivers.

:func:`adaopt.minimize` parses and checks its arguments once, into a
:class:`Problem`; a driver runs that problem and returns a
:class:`scipy.optimize.OptimizeResult`.  This module holds the pieces every
driver shares, so that they all stop at the same iterate with the same
status:

* :class:`Problem`, the normalized problem;
* the compiled per-iteration function :func:`get_advance` (the stopping
  tests, the RMSprop step through :mod:`adaopt.kernels`, the projection on
  the bounds), which works on one packed 2-D work array (:class:`Row`) and
  one small float64 control array (:class:`Ctl`);
* :func:`run_python`, the driver for Python objectives.

The order of one iteration
--------------------------
With :math:`x_k` the iterate after :math:`k` iterations (``nit = k``) and
:math:`f_k, g_k` the objective and gradient there, evaluated once each:

1. ``f_k`` not finite, or some element of ``g_k`` not finite ->
   ``NONFINITE``; the result is the previous iterate :math:`x_{k-1}` with
   its ``f`` and ``g`` and ``nit = k - 1`` (for ``k = 0``: ``x0`` with the
   non-finite values, ``nit = 0``).
2. ``k >= 1`` and a callback: ``callback(intermediate_result)`` with
   ``x = x_k, fun = f_k``; ``StopIteration`` -> ``CALLBACK``.
3. :math:`\lVert P_g(g_k)\rVert_\infty \le` ``gtol`` -> ``GTOL``, with
   :math:`P_g` the projected gradient: element :math:`i` counts as 0 where
   :math:`x_i` is on its lower bound and :math:`s g_i > 0`, or on its upper
   bound and :math:`s g_i < 0` (:math:`s = -1` with ``maximize``, else 1),
   i.e. where a descent step would leave the box (L-BFGS-B's ``pgtol``).
4. ``k >= 1`` and ``ftol > 0`` and :math:`|f_{k-1} - f_k| \le
   \mathrm{ftol}\cdot\max(|f_{k-1}|, |f_k|, 1)` -> ``FTOL``.
5. ``k >= 1`` and ``xtol > 0`` and :math:`\lVert x_k - x_{k-1}
   \rVert_\infty \le` ``xtol`` -> ``XTOL``.
6. ``k >= maxiter`` -> ``MAXITER``.
7. ``k >= kfev`` -> ``MAXFEV``, where ``kfev = maxfev // c - 1`` for ``c``
   evaluations per iteration: the run stops before an iteration whose
   evaluations would take ``nfev`` past ``maxfev``.
8. The step: :math:`x_{k+1} = P(x_k - \text{update}(g_k))` by the RMSprop
   kernel, :math:`P` the projection on the bounds.  Should the kernel meet a
   non-finite update (overflow), :math:`x_k` is restored and the status is
   ``NONFINITE`` with ``x_k, f_k, g_k``.
9. Evaluate :math:`f_{k+1}, g_{k+1}` and go to 1 with ``k + 1``.

Before step 1, ``advance`` returns ``WRONG_LENGTH`` (and does nothing) for a
gradient whose length is not ``n``; the driver then raises ``ValueError``.
Steps 1 and 3-8 are one call of the compiled ``advance``; a driver calls
it with ``Ctl.MODE = 0`` when there is no callback, or ``MODE = 1`` (step 1
only), then the callback, then ``MODE = 2`` (steps 3-8).  Stopping by
``StopIteration`` in the callback at iteration ``k`` therefore gives the same
``x``, ``fun`` and ``nit`` as ``maxiter = k``.
"""

import dataclasses
import math
import time
from typing import Any, Callable, Optional

import numba
import numpy as np
from scipy.optimize import OptimizeResult

from . import _numba_cache, _threading, kernels, status
from ._validation import as_gradient, check_value
from .rmsprop import RMSprop

__all__ = ["Problem", "Row", "Ctl", "CONTINUE", "WRONG_LENGTH", "get_advance",
           "make_workspace",
           "make_result", "run_python"]

#: ``advance`` returns this when the run goes on; a value >= 0 is a status.
CONTINUE = -1
#: ``advance`` returns this, having done nothing, for a gradient whose length
#: is not ``n`` (the driver then raises, naming the shape).
WRONG_LENGTH = -2


class Row:
    """Rows of the 2-D work array ``W`` (one parameter vector per row).

    ``X`` is the iterate, ``XPREV``/``GPREV`` the previous iterate and its
    gradient (kept so a failure can return the last good iterate), ``V`` the
    second moment; then ``M`` (centered) and ``B`` (momentum) when used, then
    the bounds ``LO``/``HI`` when bounded, in that order.  Packing everything
    into one array keeps the compiled call at four arguments: each array
    argument costs about 0.1 µs to dispatch.
    """

    X = 0
    XPREV = 1
    GPREV = 2
    V = 3
    STATE = 4   # first row after the fixed ones


class Ctl:
    """Slots of the float64 control array ``ctl`` read and written by ``advance``."""

    F = 0          # in: f at the iterate in W[X]; NaN while it is unevaluated
    FPREV = 1      # f at W[XPREV]
    K = 2          # iterations done: W[X] is x_k
    GTOL = 3
    FTOL = 4
    XTOL = 5
    MAXITER = 6
    KFEV = 7       # iteration limit implied by maxfev
    BOUNDED = 8    # 1.0 when W holds LO/HI rows
    MODE = 9       # 0: steps 1 and 3-8; 1: step 1 only; 2: steps 3-8
    GNORM = 10     # out: inf-norm of the projected g at W[X] (step 3)
    STEPNORM = 11  # inf-norm of the last step x_k - x_{k-1}
    SIZE = 12


# The step kernels of every flavour as module globals, named (never closed
# over) by the cached ``advance``: a closure over a dispatcher gets a new
# on-disk cache key in every process (the dispatcher pickles with a
# per-process id), so it would recompile every time.  Creating a dispatcher
# compiles nothing.
_step_serial = kernels.get_step_kernel(False, False, False)
_step_serial_c = kernels.get_step_kernel(True, False, False)
_step_serial_m = kernels.get_step_kernel(False, True, False)
_step_serial_cm = kernels.get_step_kernel(True, True, False)
_step_parallel = kernels.get_step_kernel(False, False, True)
_step_parallel_c = kernels.get_step_kernel(True, False, True)
_step_parallel_m = kernels.get_step_kernel(False, True, True)
_step_parallel_cm = kernels.get_step_kernel(True, True, True)


def _make_advance(centered, momentum, parallel):
    """Build the compiled iteration for one kernel flavour (see the module doc)."""
    advance = advance_function(centered, momentum, None, parallel)

    # Compiled for exactly these types (C-contiguous writable arrays, W/g/hp
    # of x's dtype): any other gradient raises TypeError at the call instead
    # of compiling a new version, and the driver converts it.  So the Python
    # loop needs no per-iteration type checks of its own.
    sigs = [numba.types.int64(dt[:, ::1], dt[::1], dt[::1], numba.float64[::1])
            for dt in (numba.float64, numba.float32)]
    # njit_cached: cache=True that survives read-only installs and corrupt caches
    return _numba_cache.njit_cached(advance, sigs, nogil=True, error_model="numpy")


def advance_function(centered, momentum, step, parallel=False):
    """The plain Python function behind ``advance``, calling the kernel ``step``.

    Uncompiled: :func:`_make_advance` compiles it, and :mod:`adaopt.compiled`
    inlines it (with an inlined kernel) into its compiled loop.  With
    ``step=None`` it calls the module-global kernel of the flavour
    (``parallel`` picks the build), which keeps it cacheable on disk.
    """
    use_global = step is None
    row_m = Row.STATE
    row_b = Row.STATE + (1 if centered else 0)
    row_lo = Row.STATE + (1 if centered else 0) + (1 if momentum else 0)

    def advance(W, g, hp, ctl):
        x = W[0]
        xprev = W[1]
        gprev = W[2]
        v = W[3]
        m = W[row_m] if centered else v     # untouched by the kernel when unused
        b = W[row_b] if momentum else v
        n = x.shape[0]
        if g.shape[0] != n:
            return -2  # WRONG_LENGTH
        k = ctl[2]
        f = ctl[0]
        mode = ctl[9]
        if mode != 2.0:
            # the inf-norm of the projected gradient: g_i counts as 0 where x_i
            # is on a bound and a descent step (along -sign * g_i) would leave
            # the box, as L-BFGS-B's pgtol; sign is -1 when maximizing
            bounded = ctl[8] != 0.0
            lo = W[row_lo] if bounded else x     # unread when unbounded
            hi = W[row_lo + 1] if bounded else x
            sign = hp[9]
            gnorm = 0.0
            finite = True
            for i in range(n):
                gi = g[i]
                finite &= math.isfinite(gi)
                gabs = abs(np.float64(gi))
                if bounded:
                    gs = sign * gi
                    if (gs > 0.0 and x[i] <= lo[i]) or (gs < 0.0 and x[i] >= hi[i]):
                        gabs = 0.0
                gnorm = max(gnorm, gabs)
            ctl[10] = gnorm
            if not (finite and math.isfinite(f)):
                if k > 0.0:
                    x[:] = xprev
                    ctl[0] = ctl[1]
                    ctl[2] = k - 1.0
                else:
                    gprev[:] = g
                return 3  # status.NONFINITE
            if mode == 1.0:
                return -1
        if ctl[10] <= ctl[3]:
            return 0  # status.GTOL
        if k > 0.0:
            fprev = ctl[1]
            if ctl[4] > 0.0 and abs(fprev - f) <= ctl[4] * max(abs(fprev), abs(f), 1.0):
                return 4  # status.FTOL
            if ctl[5] > 0.0 and ctl[11] <= ctl[5]:
                return 5  # status.XTOL
        if k >= ctl[6]:
            return 1  # status.MAXITER
        if k >= ctl[7]:
            return 2  # status.MAXFEV
        # explicit loops: at small n a slice assignment costs more than the
        # copy itself, and this runs every iteration of the compiled driver
        for i in range(n):
            xprev[i] = x[i]
            gprev[i] = g[i]
        ctl[1] = f
        # Numba prunes the branches on the closure constants: one call remains.
        if use_global:
            if parallel:
                if centered:
                    if momentum:
                        bad = _step_parallel_cm(x, g, v, m, b, hp)
                    else:
                        bad = _step_parallel_c(x, g, v, m, b, hp)
                elif momentum:
                    bad = _step_parallel_m(x, g, v, m, b, hp)
                else:
                    bad = _step_parallel(x, g, v, m, b, hp)
            elif centered:
                if momentum:
                    bad = _step_serial_cm(x, g, v, m, b, hp)
                else:
                    bad = _step_serial_c(x, g, v, m, b, hp)
            elif momentum:
                bad = _step_serial_m(x, g, v, m, b, hp)
            else:
                bad = _step_serial(x, g, v, m, b, hp)
        else:
            bad = step(x, g, v, m, b, hp)
        if bad:
            x[:] = xprev
            return 3  # status.NONFINITE
        if ctl[8] != 0.0:
            lo = W[row_lo]
            hi = W[row_lo + 1]
            for i in range(n):
                x[i] = min(max(x[i], lo[i]), hi[i])
        if ctl[5] > 0.0:
            s = 0.0
            for i in range(n):
                s = max(s, abs(np.float64(x[i]) - np.float64(xprev[i])))
            ctl[11] = s
        ctl[0] = np.nan
        ctl[2] = k + 1.0
        return -1

    return advance


# The status codes are spelled as literals inside ``advance`` (Numba folds
# module constants anyway, but literals keep the cache key independent of
# this module's globals); make sure they agree with the shared table.
assert (status.GTOL, status.MAXITER, status.MAXFEV, status.NONFINITE,
        status.FTOL, status.XTOL) == (0, 1, 2, 3, 4, 5)
assert (Ctl.F, Ctl.FPREV, Ctl.K, Ctl.GTOL, Ctl.FTOL, Ctl.XTOL, Ctl.MAXITER,
        Ctl.KFEV, Ctl.BOUNDED, Ctl.MODE, Ctl.GNORM, Ctl.STEPNORM) == tuple(range(12))
assert (Row.X, Row.XPREV, Row.GPREV, Row.V) == (0, 1, 2, 3)

_advances = {}


def get_advance(centered, momentum, parallel):
    """Return the compiled iteration for a kernel flavour.

    It is compiled (or loaded from the disk cache) for float64 and float32 on
    the first request; it returns ``CONTINUE``, ``WRONG_LENGTH`` or a status.
    """
    key = (bool(centered), bool(momentum), bool(parallel))
    return _numba_cache.built_once(_advances, key, lambda: _make_advance(*key))


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
    hyper : dict
        Keyword arguments of :class:`adaopt.RMSprop`: ``lr``, ``rho``, ...,
        ``lr_schedule`` (already checked by constructing one).
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
        The ``driver`` option: ``'auto'`` or a key of
        :data:`adaopt.minimize.DRIVERS`.
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
    hyper: dict
    maxiter: int
    maxfev: Optional[int]
    gtol: float
    ftol: float
    xtol: float
    callback: Optional[Callable] = None
    disp: bool = False
    progress: int = 0
    driver: str = "auto"
    out: Any = print

    @property
    def evaluations_per_iteration(self):
        """Calls of ``fun`` per iteration (finite differences need more than 1)."""
        from .finite_differences import calls_per_gradient, free_variables
        if self.jac_mode in ("callable", "combined"):
            return 1
        return calls_per_gradient(self.jac_mode,
                                  free_variables(self.lower, self.upper, self.x0.size))

    @property
    def iteration_limit_from_maxfev(self):
        """``kfev``: the last iteration index whose evaluations fit in ``maxfev``."""
        if self.maxfev is None:
            return math.inf
        return max(self.maxfev // self.evaluations_per_iteration - 1, 0)


def make_workspace(problem, parallel=None):
    """Return ``(optimizer, W, hp, ctl, advance)`` set up for ``problem``.

    ``parallel`` picks the kernel build of ``advance`` (default: by
    :func:`adaopt.kernels.use_parallel`); both give the same bits.

    The :class:`adaopt.RMSprop` object is built on row ``X`` of ``W`` and its
    state arrays are moved into rows of ``W`` (see :class:`Row`).
    """
    x0 = problem.x0
    centered = problem.hyper.get("centered", False)
    momentum = problem.hyper.get("momentum", 0.0) > 0
    bounded = problem.lower is not None
    nrows = Row.STATE + centered + momentum + 2 * bounded
    W = np.empty((nrows, x0.size), dtype=x0.dtype)
    W[Row.X] = x0
    W[Row.XPREV] = x0
    W[Row.GPREV] = 0
    opt = RMSprop(W[Row.X], **problem.hyper)
    rows = {"square_avg": Row.V}
    row = Row.STATE
    if centered:
        rows["grad_avg"] = row
        row += 1
    if momentum:
        rows["momentum_buffer"] = row
        row += 1
    opt._adopt_state({name: W[r] for name, r in rows.items()})
    if bounded:
        W[row] = problem.lower
        W[row + 1] = problem.upper
    ctl = np.zeros(Ctl.SIZE)
    ctl[Ctl.F] = np.nan
    ctl[Ctl.FPREV] = np.nan
    ctl[Ctl.GTOL] = problem.gtol
    ctl[Ctl.FTOL] = problem.ftol
    ctl[Ctl.XTOL] = problem.xtol
    ctl[Ctl.MAXITER] = problem.maxiter
    ctl[Ctl.KFEV] = problem.iteration_limit_from_maxfev
    ctl[Ctl.BOUNDED] = bounded
    ctl[Ctl.STEPNORM] = np.inf
    if parallel is None:
        parallel = kernels.use_parallel(x0.size)
    advance = get_advance(centered, momentum, parallel)
    return opt, W, opt._hp, ctl, advance


def make_result(x, fun, jac, nit, nfev, njev, code):
    """Build the :class:`~scipy.optimize.OptimizeResult` of a run."""
    return OptimizeResult(x=x, fun=fun, jac=jac, nit=nit, nfev=nfev, njev=njev,
                          status=code, success=code in status.SUCCESS,
                          message=status.MESSAGES[code])


def print_summary(result, out=print):
    """Print scipy's end-of-run summary for ``result``."""
    out(result.message)
    out(f"         Current function value: {result.fun:f}")
    out(f"         Iterations: {result.nit:d}")
    out(f"         Function evaluations: {result.nfev:d}")
    out(f"         Gradient evaluations: {result.njev:d}")


class _Progress:
    """The opt-in progress display: one line every ``every`` iterations."""

    def __init__(self, every, out):
        self.every = every
        self.out = out
        self.start = self.last = time.perf_counter()
        self.last_k = 0
        out(f"{'iter':>10} {'f':>14} {'|g|_inf':>11} {'iter/s':>10}")

    def __call__(self, k, f, gnorm):
        now = time.perf_counter()
        rate = (f"{(k - self.last_k) / (now - self.last):10.4g}"
                if k > self.last_k and now > self.last else f"{'':>10}")
        self.last, self.last_k = now, k
        self.out(f"{k:10d} {f:14.6e} {gnorm:11.3e} {rate}")


def run_python(problem):
    """Run ``problem`` with a Python-driven loop; return its OptimizeResult.

    The loop calls ``fun``/``jac`` and the compiled ``advance`` once per
    iteration (in the order of the module docstring) and checks nothing
    itself: ``advance`` is compiled for C-contiguous arrays of ``x``'s dtype
    only and checks the gradient's length, so a gradient of another kind
    raises ``TypeError`` at the call; from then on every gradient is checked
    and converted in Python (a clear error for a wrong shape or type).

    ``KeyboardInterrupt`` (in ``fun``, ``jac``, the callback or between them)
    ends the run with status ``INTERRUPTED`` and returns the last iterate whose
    ``f`` and ``g`` were both evaluated (``x0`` with ``fun = nan`` if the
    interrupt came during the very first evaluation).  Any other exception
    propagates unchanged, carrying the result of that same iterate with
    status ``EXCEPTION`` (:func:`attach_result`).

    The learning rate of step ``t`` is asked for only when ``t`` is at most
    the iteration limit (``maxiter`` and the ``maxfev`` limit): the pass at
    the limit stops before its step, which gets a placeholder rate.  When
    the schedule raises (or gives a bad rate) for step ``t``, the iteration
    goes on with a placeholder rate: if a stopping test ends the run before
    step ``t``, the rate was never needed and the run ends as usual;
    otherwise the step just taken is dropped (back to the evaluated
    :math:`x_{t-1}`) and the schedule's exception propagates.
    """
    # A long vector takes the parallel kernel when adaopt's threading policy
    # allows one now; the run then holds the process-wide region lock (see
    # adaopt._threading: one adaopt parallel region at a time), and other
    # threads' steps take the serial build meanwhile (same bits).
    region = None
    if kernels.use_parallel(problem.x0.size) and _threading.parallel_allowed():
        if _threading._region.acquire(False):
            region = _threading._region
    try:
        return _run_python(problem, parallel=region is not None)
    finally:
        if region is not None:
            region.release()


def _run_python(problem, parallel):
    from .finite_differences import FiniteDifferenceGradient

    opt, W, hp, ctl, advance = make_workspace(problem, parallel)
    x = W[Row.X]
    # fun and jac get a fresh copy of x at each call (as scipy hands its
    # objectives): they may modify or keep it without touching the run
    mode = problem.jac_mode
    fd = None
    if mode == "callable":
        fun, jac = _bind(problem.fun, problem.args), _bind(problem.jac, problem.args)
    elif mode == "combined":
        fun, jac = _bind(problem.fun, problem.args), None
    else:
        fd = FiniteDifferenceGradient(problem.fun, mode, problem.lower,
                                      problem.upper, problem.args)
        fun, jac = fd, None
    callback = problem.callback
    ctl[Ctl.MODE] = 0.0 if callback is None else 1.0
    # Scalars of a step that change with t (schedule, bias correction, the
    # decoupled decay lr*wd, clip_norm) are set by the optimizer itself.
    per_step = opt._per_step_scalars()
    if not per_step:
        opt._prepare_step(x, opt._lr_at(1), 1)
    limit = iteration_limit(problem)
    deferred = None    # what the schedule raised for the step prepared last
    progress = _Progress(problem.progress, problem.out) if problem.progress else None
    countdown = 1      # the first line shows iteration 0
    F, K, wrong_length, np_float64 = Ctl.F, Ctl.K, WRONG_LENGTH, np.float64
    nfev = njev = 0
    g = None
    code = CONTINUE
    try:
        # first evaluation: full checks of f and g
        if jac is None:
            nfev += 1
            f, g = _split_pair(fun(x.copy()))
        else:
            nfev += 1
            f = fun(x.copy())
            njev += 1
            g = jac(x.copy())
        f = check_value(f)
        g = as_gradient(g, x)
        # Every later gradient is checked too, before the optimizer or
        # advance reads it: Numba's dispatcher can take an array in the other
        # byte order for a native one (adaopt._validation).  (Each value of
        # f is checked in the loop; fun and jac get a copy of x, so nothing
        # they return shares memory with the work array.)
        fun, jac = _converting(fun, jac, x)
        while True:
            if f.__class__ is not float and f.__class__ is not np_float64:
                f = check_value(f)  # every value, not only the first
            ctl[F] = f
            if per_step:
                t = int(ctl[K]) + 1
                lr = PLACEHOLDER_LR     # step t > limit is never taken
                if t <= limit:
                    try:
                        lr = opt._lr_at(t)
                    except Exception as err:
                        # an error only if step t is taken: see below
                        lr, deferred = PLACEHOLDER_LR, err
                opt._prepare_step(g, lr, t)
            code = advance(W, g, hp, ctl)
            if code >= 0:
                break
            if code == wrong_length:
                as_gradient(g, x)               # raises, naming the shape
            if callback is not None:
                if ctl[K] > 0.0:
                    try:
                        callback(OptimizeResult(x=x.copy(), fun=float(ctl[F]),
                                                nit=int(ctl[K])))
                    except StopIteration:
                        code = status.CALLBACK
                        break
                ctl[Ctl.MODE] = 2.0
                code = advance(W, g, hp, ctl)
                ctl[Ctl.MODE] = 1.0
                if code >= 0:
                    break
            if deferred is not None:
                # step t was taken with the placeholder rate: the handler
                # below goes back to x_{t-1}, the last good iterate
                raise deferred
            if progress is not None:
                countdown -= 1
                if countdown == 0:
                    countdown = problem.progress
                    # the step just taken started from x_{K-1}: report that one
                    progress(int(ctl[K]) - 1, ctl[Ctl.FPREV], ctl[Ctl.GNORM])
            if jac is None:
                nfev += 1
                f, g = fun(x.copy())
            else:
                nfev += 1
                f = fun(x.copy())
                njev += 1
                g = jac(x.copy())
    except KeyboardInterrupt:
        code = status.INTERRUPTED
        g = back_to_evaluated(W, _checked_or_none(g, x, ctl), ctl)
    except Exception as exc:
        g = back_to_evaluated(W, _checked_or_none(g, x, ctl), ctl)
        attach_result(exc, _python_result(problem, W, g, ctl, fd, nfev, njev,
                                          status.EXCEPTION))
        raise
    if code == status.NONFINITE:
        g = W[Row.GPREV]
    result = _python_result(problem, W, g, ctl, fd, nfev, njev, code)
    if problem.disp:
        print_summary(result, problem.out)
    return result


def _checked_or_none(g, x, ctl):
    """``g`` if it and ``ctl[F]`` are a finite evaluation at ``x``, else None.

    A run stopped by an exception may hold a gradient that was never
    checked (the exception came from checking it); the result then goes
    back to the last checked iterate (``ctl[F]`` is set to NaN).
    """
    if (isinstance(g, np.ndarray) and g.shape == x.shape and g.dtype == x.dtype
            and math.isfinite(ctl[Ctl.F]) and np.isfinite(g).all()):
        return g
    ctl[Ctl.F] = np.nan
    return None


def _python_result(problem, W, g, ctl, fd, nfev, njev, code):
    """The OptimizeResult of :func:`_run_python` at the iterate in ``W[X]``."""
    if fd is not None:
        nfev = fd.calls
    elif problem.jac_mode == "combined":
        njev = nfev      # each call gave f and g
    x = W[Row.X]
    return make_result(x.copy(), float(ctl[Ctl.F]), np.array(g, dtype=x.dtype, copy=True),
                       int(ctl[Ctl.K]), nfev, njev, code)


#: The rate given to a step that is prepared but never taken (see
#: :func:`run_python`); any valid rate would do.
PLACEHOLDER_LR = 0.0

#: The attribute of an exception that stopped a run which holds the run's
#: result (:func:`attach_result`).
RESULT_ATTRIBUTE = "adaopt_result"


def iteration_limit(problem):
    """The last step a run of ``problem`` can take: ``maxiter`` or the
    ``maxfev`` limit, whichever comes first (inf for neither)."""
    return min(problem.maxiter, problem.iteration_limit_from_maxfev)


def back_to_evaluated(W, g, ctl):
    """Return to the last iterate whose ``f`` and ``g`` are both known.

    Where a run stops between a step and the evaluation at the new iterate
    (``ctl[F]`` is NaN then), go back to the previous iterate (``W[XPREV]``
    with ``ctl[FPREV]``, ``nit`` one less) and return its gradient
    ``W[GPREV]``.  At ``x0`` before its first evaluation, return a NaN
    gradient; otherwise ``g``, the gradient at the current iterate.  Used
    by every driver after an interrupt or an exception.
    """
    if math.isnan(ctl[Ctl.F]) and ctl[Ctl.K] > 0.0:
        W[Row.X] = W[Row.XPREV]
        ctl[Ctl.F] = ctl[Ctl.FPREV]
        ctl[Ctl.K] -= 1.0
        return W[Row.GPREV]
    if math.isnan(ctl[Ctl.F]) or g is None:
        return np.full(W.shape[1], np.nan, dtype=W.dtype)
    return g


def attach_result(exc, result):
    """Give the exception ``exc`` that stopped a run the run's ``result``.

    It becomes ``exc.adaopt_result`` (:data:`RESULT_ATTRIBUTE`); the
    exception itself, its type and traceback, stay as they are.  An
    exception that takes no attributes is left alone.
    """
    try:
        setattr(exc, RESULT_ATTRIBUTE, result)
    except (AttributeError, TypeError):
        pass


def _bind(fn, args):
    """``fn`` with ``args`` bound after ``x``; ``fn`` itself when there are none
    (a call with ``*args`` costs about 0.1 µs more than a plain call)."""
    if not args:
        return fn

    def bound(x):
        return fn(x, *args)
    return bound


def _split_pair(out):
    """Split what a ``jac=True`` objective returns into ``(f, g)``."""
    try:
        f, g = out
    except (TypeError, ValueError):
        raise TypeError("with jac=True, fun must return a pair (f, g), got "
                        f"{type(out).__name__}") from None
    return f, g


def _converting(fun, jac, x):
    """Wrap the gradient source so that each gradient is checked and converted.

    The rule is :func:`adaopt._validation.as_gradient`'s; a gradient it
    would return as it is (a 1-D C-contiguous, aligned, writable ndarray of
    ``x``'s native dtype: the length is left to ``advance``) skips the call,
    which would double the wrapper's cost of about 0.2 µs per iteration.
    """
    ndarray, dtype = np.ndarray, x.dtype
    if jac is not None:
        def jac_converting(x_):
            g = jac(x_)
            if (g.__class__ is ndarray and g.dtype is dtype and g.ndim == 1
                    and g.flags.carray):
                return g
            return as_gradient(g, x)
        return fun, jac_converting

    def fun_converting(x_):
        out = fun(x_)
        try:
            f, g = out
        except (TypeError, ValueError):
            f, g = _split_pair(out)      # raises, saying what was expected
        if (g.__class__ is ndarray and g.dtype is dtype and g.ndim == 1
                and g.flags.carray):
            return f, g
        return f, as_gradient(g, x)
    return fun_converting, None
