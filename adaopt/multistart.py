r"""Many starts at once: :func:`multistart` runs :func:`adaopt.minimize` from every row of a 2-D array.

With a Numba-jitted objective the starts run in one compiled driver, in
parallel across cores (``numba.prange``; the number of threads is Numba's,
set with ``numba.set_num_threads``).  With a Python objective they run one
after the other through :func:`adaopt.minimize`'s Python driver.  Either
way each start gives exactly the result ``adaopt.minimize`` gives from that
start alone: the starts share no state, and the compiled and Python drivers
share one iteration (:mod:`adaopt.driver`).
"""

import dataclasses
import math
import sys
import warnings

import numpy as np
from scipy.optimize import OptimizeResult, OptimizeWarning

from . import _threading, compiled, driver, status
from .driver import Ctl, Row

__all__ = ["multistart", "MultiStartResult"]


class MultiStartResult(OptimizeResult):
    """The result of :func:`multistart`.

    The fields of :class:`scipy.optimize.OptimizeResult` (``x, fun, jac, nit,
    nfev, njev, status, success, message``) are those of the best start;
    besides them:

    Attributes
    ----------
    best : int
        Row of the best start.
    results : list of OptimizeResult
        One result per start, in the order of the rows.
    xs : ndarray, shape (nstart, n)
        The final iterate of each start.
    funs, statuses : ndarray, shape (nstart,)
        ``fun`` and ``status`` of each start.
    """


def multistart(fun, x0s, args=(), jac=None, bounds=None, tol=None, options=None):
    r"""Minimize ``fun`` from each row of ``x0s``; return every result and the best.

    Every start runs exactly as :func:`adaopt.minimize` would run it alone,
    with the same arguments and options, so ``multistart(...).results[i]``
    equals ``adaopt.minimize(fun, x0s[i], ...)``.  The best start is the one
    with the lowest finite ``fun`` (the highest with the option
    ``maximize=True``); ties go to the first row.

    Parameters
    ----------
    fun, args, jac, bounds, tol, options
        As for :func:`adaopt.minimize` (no ``callback``).  ``options['disp']``
        prints the summary of the best start only; ``progress`` is ignored.
        ``options['driver']``: ``'auto'`` runs the starts in parallel in the
        compiled driver when ``fun`` (and ``jac``) are Numba-jitted (see
        :mod:`adaopt.compiled`), one after the other in the Python driver
        otherwise; ``'compiled'`` insists on the former, ``'python'`` on the
        latter.
    x0s : array_like, shape (nstart, n)
        One starting point per row; the dtype rules of ``x0`` apply (integers
        become float64, float32 stays float32).  Rows outside the bounds are
        clipped into them with one :class:`~scipy.optimize.OptimizeWarning`.

    Returns
    -------
    MultiStartResult
        The best start's result, with ``best``, ``results``, ``xs``,
        ``funs`` and ``statuses`` of all starts.

    Notes
    -----
    The parallel driver hands the starts to Numba's threads in one parallel
    region per chunk of iterations, so starts that stop early leave their
    thread idle until the chunk ends.  Like every adaopt parallel region, it
    runs serially (the same results) when another thread of the process is
    inside one, or in a process forked after GNU OpenMP started
    (:mod:`adaopt._threading`).

    Examples
    --------
    A double well :math:`f(x) = (x^2 - 1)^2 + 0.3x` has its global minimum
    near :math:`x = -1` and a local one near :math:`x = 1`:

    >>> import numpy as np
    >>> import adaopt
    >>> def f(x):
    ...     return float((x[0] ** 2 - 1) ** 2 + 0.3 * x[0])
    >>> def g(x):
    ...     return np.array([4 * x[0] * (x[0] ** 2 - 1) + 0.3])
    >>> res = adaopt.multistart(f, [[2.0], [-2.0], [0.5]], jac=g,
    ...                         options=dict(lr=0.01, maxiter=2000))
    >>> res.best, res.x.round(2), res.statuses
    (1, array([-1.04]), array([0, 0, 0]))
    """
    parse_problem = sys.modules[__package__ + ".minimize"].parse_problem
    run_minimize = sys.modules[__package__ + ".minimize"].run
    x0s = _check_starts(x0s)
    with warnings.catch_warnings():
        # the one warning about starts outside the bounds is given below
        warnings.filterwarnings("ignore", "Initial guess is not within",
                                OptimizeWarning)
        problem = parse_problem(fun, x0s[0], args=args, jac=jac, bounds=bounds,
                                tol=tol, options=options)
    x0s = x0s.astype(problem.x0.dtype, copy=False)
    if problem.lower is not None:
        clipped = np.minimum(np.maximum(x0s, problem.lower), problem.upper)
        if not np.array_equal(clipped, x0s):
            warnings.warn("Some starting points are not within the specified bounds",
                          OptimizeWarning, stacklevel=2)
        x0s = clipped
    disp = problem.disp
    problem = dataclasses.replace(problem, disp=False, progress=0)
    name = problem.driver
    why = compiled.compiled_driver_unsupported(problem)
    if name == "compiled" and why is not None:
        raise ValueError(why)
    if name == "compiled" or (name == "auto" and why is None):
        results = _run_parallel(problem, x0s)
    else:
        one = problem.driver if name == "python" else "auto"
        results = [run_minimize(dataclasses.replace(problem, x0=row.copy(), driver=one))
                   for row in x0s]
    best = _best(results, problem.hyper.get("maximize", False))
    out = MultiStartResult(results[best])
    out.update(best=best, results=results, xs=np.array([r.x for r in results]),
               funs=np.array([r.fun for r in results]),
               statuses=np.array([r.status for r in results]))
    if disp:
        driver.print_summary(out, problem.out)
    return out


def _check_starts(x0s):
    """``x0s`` as a private C-contiguous 2-D array, under the rules of ``x0``."""
    check_x0 = sys.modules[__package__ + ".minimize"].check_x0
    arr = np.asarray(x0s)
    if arr.ndim != 2:
        raise ValueError(f"x0s must be 2-D (one start per row), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"x0s must have at least one row and one column, got shape "
                         f"{arr.shape}")
    # dtype and finiteness: exactly the rules (and messages) of minimize's x0
    return check_x0(arr.reshape(-1), "x0s").reshape(arr.shape)


def _best(results, maximize):
    """Row of the lowest (highest when maximizing) finite ``fun``, first on ties."""
    best, best_f = 0, math.nan
    for i, r in enumerate(results):
        f = r.fun
        if math.isfinite(f) and (math.isnan(best_f)
                                 or (f > best_f if maximize else f < best_f)):
            best, best_f = i, f
    return best


def _run_parallel(problem, x0s):
    """Run every start in the compiled multi-start driver; return their results."""
    nstart, n = x0s.shape
    opt, W, hp, ctl, _ = driver.make_workspace(problem)
    s = compiled.step_settings(opt)
    if not s.per_step:
        opt._prepare_step(W[Row.X], opt._lr_at(1), 1)
    ctl[Ctl.MODE] = 0.0
    # every start begins from the same workspace, with its own x0
    Ws = np.repeat(W[None], nstart, axis=0)
    Ws[:, Row.X] = x0s
    Ws[:, Row.XPREV] = x0s
    hps = np.repeat(hp[None], nstart, axis=0)
    ctls = np.repeat(ctl[None], nstart, axis=0)
    gs = np.zeros((nstart, n), dtype=x0s.dtype)
    counts = np.zeros((nstart, 2), dtype=np.int64)
    codes = np.full(nstart, driver.CONTINUE, dtype=np.int64)
    jac = problem.jac if problem.jac_mode == "callable" else None
    args = problem.args
    compiled.check_jitted_returns(problem.fun, jac, W[Row.X], args)

    def parallel(kstop, lrs):
        run = compiled.get_driver("multi", problem.fun, jac, s.centered, s.momentum)
        run(Ws, gs, hps, ctls, counts, codes, args, lrs, s, kstop)

    def serial(kstop, lrs):
        run = compiled.get_driver("single", problem.fun, jac, s.centered, s.momentum)
        for i in range(nstart):
            if codes[i] == driver.CONTINUE:
                codes[i] = run(Ws[i], gs[i], hps[i], ctls[i], counts[i], args, lrs,
                               s, kstop)

    def chunk(kstop, lrs):
        _threading.run_kernel(parallel, serial, kstop, lrs)
        return driver.CONTINUE if np.any(codes == driver.CONTINUE) else status.GTOL

    def iterations_done():
        return int(ctls[codes == driver.CONTINUE, Ctl.K].max())

    gs_final = list(gs)
    try:
        compiled.run_chunks(chunk, opt, iterations_done, problem.maxiter)
    except KeyboardInterrupt:
        for i in np.flatnonzero(codes == driver.CONTINUE):
            codes[i] = status.INTERRUPTED
            gs_final[i] = compiled._back_to_evaluated(Ws[i], gs[i], ctls[i])
    results = []
    for i in range(nstart):
        code = int(codes[i])
        g = Ws[i, Row.GPREV] if code == status.NONFINITE else gs_final[i]
        results.append(driver.make_result(
            Ws[i, Row.X].copy(), float(ctls[i, Ctl.F]), np.array(g, copy=True),
            int(ctls[i, Ctl.K]), int(counts[i, 0]), int(counts[i, 1]), code))
    return results
