r"""One iteration of every driver, compiled, and what every driver returns.

The drivers (the Python loop of :mod:`adaopt._python_loop`, the compiled
loop of :mod:`adaopt._compiled_loop`, ``multistart`` and the njit entry
point) all call the same compiled ``advance`` on the work arrays of
:mod:`adaopt._workspace`, so they all stop at the same iterate with the
same status.  ``advance`` knows no method: it takes the method's kernel of
one flavour and the number of its state rows (:func:`get_advance`,
:func:`inline_advance`, :func:`called_advance` build it three ways from one
source).  The results, the rollback after an interrupt or an exception and
the progress display are here too.

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
8. The step: :math:`x_{k+1} = P(x_k - \text{update}(g_k))` by the method's
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

import math
import time

import numba
import numpy as np
from . import _numba_cache, kernels, status
from ._numba_cache import rebind
from ._workspace import Ctl, Row, copy_into

__all__ = ["CONTINUE", "WRONG_LENGTH", "get_advance", "inline_advance",
           "called_advance", "optimize_result", "make_result", "print_summary", "Progress",
           "back_to_evaluated", "attach_result", "RESULT_ATTRIBUTE"]

#: ``advance`` returns this when the run goes on; a value >= 0 is a status.
CONTINUE = -1
#: ``advance`` returns this, having done nothing, for a gradient whose length
#: is not ``n`` (the driver then raises, naming the shape).
WRONG_LENGTH = -2


def _advance(W, g, hp, ctl):
    """One iteration (steps 1 and 3-8 of the module docstring, by ``ctl[MODE]``).

    A template: ``_kernel`` (the method's step loop of one flavour) and
    ``_NSTATE`` (its number of state rows) are globals that
    :func:`adaopt._numba_cache.rebind` binds for each build.
    """
    x = W[Row.X]
    xprev = W[Row.XPREV]
    gprev = W[Row.GPREV]
    S = W[Row.STATE:Row.STATE + _NSTATE]     # noqa: F821  (bound per build)
    row_lo = Row.STATE + _NSTATE             # noqa: F821
    n = x.shape[0]
    if g.shape[0] != n:
        return WRONG_LENGTH
    k = ctl[Ctl.K]
    f = ctl[Ctl.F]
    mode = ctl[Ctl.MODE]
    if mode != 2.0:
        # the inf-norm of the projected gradient: g_i counts as 0 where x_i
        # is on a bound and a descent step (along -sign * g_i) would leave
        # the box, as L-BFGS-B's pgtol; sign is -1 when maximizing
        bounded = ctl[Ctl.BOUNDED] != 0.0
        lo = W[row_lo] if bounded else x     # unread when unbounded
        hi = W[row_lo + 1] if bounded else x
        sign = hp[kernels.SIGN_SLOT]
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
        ctl[Ctl.GNORM] = gnorm
        if not (finite and math.isfinite(f)):
            if k > 0.0:
                copy_into(x, xprev)
                ctl[Ctl.F] = ctl[Ctl.FPREV]
                ctl[Ctl.K] = k - 1.0
            else:
                copy_into(gprev, g)
            return status.NONFINITE
        if mode == 1.0:
            return CONTINUE
    if ctl[Ctl.GNORM] <= ctl[Ctl.GTOL]:
        return status.GTOL
    if k > 0.0:
        fprev = ctl[Ctl.FPREV]
        ftol = ctl[Ctl.FTOL]
        if ftol > 0.0 and abs(fprev - f) <= ftol * max(abs(fprev), abs(f), 1.0):
            return status.FTOL
        if ctl[Ctl.XTOL] > 0.0 and ctl[Ctl.STEPNORM] <= ctl[Ctl.XTOL]:
            return status.XTOL
    if k >= ctl[Ctl.MAXITER]:
        return status.MAXITER
    if k >= ctl[Ctl.KFEV]:
        return status.MAXFEV
    # explicit loops: at small n a slice assignment costs more than the
    # copy itself, and this runs every iteration of the compiled driver
    for i in range(n):
        xprev[i] = x[i]
        gprev[i] = g[i]
    ctl[Ctl.FPREV] = f
    bad = _kernel(x, g, S, hp)               # noqa: F821  (bound per build)
    if bad:
        copy_into(x, xprev)
        return status.NONFINITE
    if ctl[Ctl.BOUNDED] != 0.0:
        lo = W[row_lo]
        hi = W[row_lo + 1]
        for i in range(n):
            x[i] = min(max(x[i], lo[i]), hi[i])
    if ctl[Ctl.XTOL] > 0.0:
        s = 0.0
        for i in range(n):
            s = max(s, abs(np.float64(x[i]) - np.float64(xprev[i])))
        ctl[Ctl.STEPNORM] = s
    ctl[Ctl.F] = np.nan
    ctl[Ctl.K] = k + 1.0
    return CONTINUE


def _bound(method, flavour, kind, parallel, bodies):
    """``_advance`` calling the kernel of ``flavour`` that carries ``bodies``."""
    bits = "".join(str(int(u)) for u in flavour)
    tail = "" if bodies == "both" else f"_{bodies}"
    return rebind(_advance, f"_{method.engine}_{bits}_{kind}{tail}",
                  _kernel=method.kernel(flavour, parallel, bodies), _NSTATE=sum(flavour))


_advances = {}


def get_advance(method, flavour, parallel, dtype, bodies="both"):
    """The compiled iteration for the Python driver: ``advance(W, g, hp, ctl) -> code``.

    Calls the method's kernel of ``flavour`` (``parallel`` picks its build;
    both give the same bits) carrying ``bodies`` (the run's
    :meth:`~adaopt._method.Method.kernel_bodies`).  Compiled (or loaded
    from the disk cache) on the first request for exactly one signature,
    arrays of ``dtype`` (float32 or float64; C-contiguous writable arrays,
    ``W``/``g``/``hp`` of that dtype): any other gradient raises
    ``TypeError`` at the call instead of compiling a new version, and the
    driver converts it.  So the Python loop needs no per-iteration type
    checks of its own, and a float64 run compiles no float32 iteration
    (each is about 1 s).
    """
    dtype = np.dtype(dtype)
    key = (method.engine, flavour, bool(parallel), dtype.name, bodies)

    def build():
        dt = numba.from_dtype(dtype)
        sig = numba.types.int64(dt[:, ::1], dt[::1], dt[::1], numba.float64[::1])
        return _numba_cache.njit_cached(
            _bound(method, flavour, "parallel" if parallel else "serial", parallel, bodies),
            [sig], nogil=True, error_model="numpy")
    return _numba_cache.built_once(_advances, key, build)


def inline_advance(method, flavour, bodies="both"):
    """The iteration, inlined into the caller, calling the serial kernel.

    For the compiled loops: Numba inlines the iteration's IR, so the caller
    compiles as one function with the objective; for a two-element problem
    that saved about a third of an iteration against calling ``advance``
    and the kernel (their arguments crossed two calls, with reference
    counts Numba cannot prune across calls).  The kernel is called, not
    inlined: the compiled loops pass it borrowed arrays (no reference
    counts), so the call costs no measurable time per iteration
    (``bench_compiled.PerIteration``), and the driver links the kernel's
    disk-cached build instead of compiling its IR again, which inlined
    cost about 1 s of every driver's first compile.  Same source as
    :func:`get_advance`, so the same bits; ``bodies`` as there.
    """
    key = (method.engine, flavour, "inline", bodies)
    return _numba_cache.built_once(_advances, key, lambda: numba.njit(
        _bound(method, flavour, "inline", False, bodies), inline="always",
        error_model="numpy"))


def called_advance(method, flavour, bodies="both"):
    """The iteration calling the serial kernel, not inlined and not cached.

    For the njit entry point, which picks the flavour at run time and so
    calls one of these per flavour (inlining all of them would compile
    each into every caller).  Not cached itself: a caller names it as a
    module global and is cached with it.  ``bodies`` as in :func:`get_advance`.
    """
    key = (method.engine, flavour, "called", bodies)
    return _numba_cache.built_once(_advances, key, lambda: numba.njit(
        _bound(method, flavour, "called", False, bodies), nogil=True, error_model="numpy"))


def optimize_result(**fields):
    """A :class:`scipy.optimize.OptimizeResult` of ``fields``.

    scipy.optimize is imported here, on the first result, not with adaopt:
    it is three quarters of adaopt's import time (about 0.25 s), and an
    optimizer object never needs it.
    """
    from scipy.optimize import OptimizeResult
    return OptimizeResult(**fields)


def make_result(x, fun, jac, nit, nfev, njev, code):
    """Build the :class:`~scipy.optimize.OptimizeResult` of a run."""
    return optimize_result(x=x, fun=fun, jac=jac, nit=nit, nfev=nfev, njev=njev,
                           status=code, success=status.succeeded(code),
                           message=status.MESSAGES[code])


def print_summary(result, out=print):
    """Print scipy's end-of-run summary for ``result``."""
    out(result.message)
    out(f"         Current function value: {result.fun:f}")
    out(f"         Iterations: {result.nit:d}")
    out(f"         Function evaluations: {result.nfev:d}")
    out(f"         Gradient evaluations: {result.njev:d}")


class Progress:
    """The opt-in progress display: one line every ``every`` iterations.

    With ``rule`` (a feedback rule sets the rate: :mod:`adaopt._feedback`)
    each line shows the rate of the step taken from that iterate.
    """

    def __init__(self, every, out, rule=False):
        self.every = every
        self.out = out
        self.rule = rule
        self.start = self.last = time.perf_counter()
        self.last_k = 0
        lr = f" {'lr':>10}" if rule else ""
        out(f"{'iter':>10} {'f':>14} {'|g|_inf':>11}{lr} {'iter/s':>10}")

    def __call__(self, k, f, gnorm, rate=None):
        now = time.perf_counter()
        speed = (f"{(k - self.last_k) / (now - self.last):10.4g}"
                 if k > self.last_k and now > self.last else f"{'':>10}")
        self.last, self.last_k = now, k
        rate_column = f" {rate:10.3e}" if self.rule else ""
        self.out(f"{k:10d} {f:14.6e} {gnorm:11.3e}{rate_column} {speed}")

    def line(self, ctl):
        """The line of the iteration just stepped from (``ctl[K] - 1``), with
        the rate its step took when a feedback rule sets it."""
        self(int(ctl[Ctl.K]) - 1, ctl[Ctl.FPREV], ctl[Ctl.GNORM], ctl[Ctl.LR])


#: The attribute of an exception that stopped a run which holds the run's
#: result (:func:`attach_result`).
RESULT_ATTRIBUTE = "adaopt_result"


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


def final_gradient(W, g, code):
    """The gradient a result reports: ``g``, or after a non-finite value the
    one at the last good iterate (``W[GPREV]``)."""
    return W[Row.GPREV] if code == status.NONFINITE else g


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
