r"""Many starts at once: :func:`multistart` runs :func:`adaopt.minimize` from every row of a 2-D array.

With a Numba-jitted objective the starts run in one compiled driver, in
parallel across cores (``numba.prange``; the number of threads is Numba's,
set with ``numba.set_num_threads``).  With a Python objective they run one
after the other through :func:`adaopt.minimize`'s Python driver.  Either
way each start gives exactly the result ``adaopt.minimize`` gives from that
start alone: the starts share no state, and the compiled and Python drivers
share one iteration (:mod:`adaopt._iteration`).

``batch_args`` gives every start data of its own: start ``i`` gets row ``i``
of each batch array after ``args``, as ``adaopt.minimize`` would get them
in ``args``; the compiled driver makes the rows as views inside its loop.
"""

import dataclasses
import math
import warnings

import numpy as np
from scipy.optimize import OptimizeResult, OptimizeWarning

from . import _threading, _workers, status
from ._compiled_loop import compiled_driver_unsupported, driver_for, run_chunks
from ._compiled_objective import check_jitted_returns
from ._iteration import (CONTINUE, RESULT_ATTRIBUTE, attach_result, back_to_evaluated,
                         final_gradient, make_result, print_summary)
from ._minimize import run as run_minimize
from ._problem import check_x0, make_workspace, parse_problem
from ._workspace import Ctl, Row

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
        ``fun`` and ``status`` of each start (status 8,
        :data:`adaopt.status.NOT_RUN`, for a start that never began because
        Ctrl-C or an exception stopped the multistart).
    """


def multistart(fun, x0s, args=(), method="rmsprop", jac=None, bounds=None, tol=None,
               options=None, workers=None, chunk_size=None, batch_args=None):
    r"""Minimize ``fun`` from each row of ``x0s``; return every result and the best.

    Every start runs exactly as :func:`adaopt.minimize` would run it alone,
    with the same arguments and options, so ``multistart(...).results[i]``
    equals ``adaopt.minimize(fun, x0s[i], ...)``.  The best start is the one
    with the lowest finite ``fun`` (the highest with the option
    ``maximize=True``); ties go to the first row.

    Parameters
    ----------
    fun, args, method, jac, bounds, tol, options
        As for :func:`adaopt.minimize` (no ``callback``).  ``options['disp']``
        prints the summary of the best start only; ``progress`` prints one
        line per chunk that comes back from ``workers`` (chunks done, starts
        converged so far) and is ignored without ``workers``.
        ``options['driver']``: ``'auto'`` runs the starts in parallel in the
        compiled driver when ``fun`` (and ``jac``) are Numba-jitted (see
        :mod:`adaopt._compiled_loop`), one after the other in the Python driver
        otherwise; ``'compiled'`` insists on the former, ``'python'`` on the
        latter.
    x0s : array_like, shape (nstart, n)
        One starting point per row; the dtype rules of ``x0`` apply (integers
        become float64, float32 stays float32).  Rows outside the bounds are
        clipped into them with one :class:`~scipy.optimize.OptimizeWarning`.
    workers : None, int, concurrent.futures.Executor or dask.distributed.Client, optional
        Where the starts run.  None (default): in this process, as
        described above.  An int ``k``: on ``k`` new local processes
        (a ``spawn`` :class:`~concurrent.futures.ProcessPoolExecutor`, shut
        down before returning).  An executor: submitted to it (threads or
        processes).  A Dask client: on its cluster.  The starts go in
        chunks of rows, each run on a worker as one ordinary ``multistart``
        of those rows (in parallel over the worker's Numba threads), so the
        results are bitwise those of ``workers=None``.  With processes or
        a cluster, ``fun``, ``jac``, ``args`` and ``options`` must be
        picklable (top-level functions of an importable module); see
        :doc:`/guide/scaling`.
    chunk_size : int, optional
        Rows per chunk with ``workers``; by default the starts make 4
        chunks per worker (per Dask worker thread; per CPU for an
        executor, whose size is not public), or, with a Dask client and a
        dask array in ``batch_args``, one chunk per block of that array.
    batch_args : tuple or list of array_like, optional
        Per-start data: with ``batch_args=(A, B, ...)`` start ``i`` calls
        ``fun(x, *args, A[i], B[i], ...)`` (``jac`` too), so
        ``results[i]`` equals ``adaopt.minimize(fun, x0s[i], args=args +
        (A[i], B[i], ...))``.  Each array's first axis indexes the starts
        (length ``len(x0s)``): a 2-D array gives each start a row, a 1-D
        array a scalar.  The arrays keep their dtype (numbers or booleans);
        one in the other byte order, not C-contiguous or unaligned is
        converted once, the others are used as they are.  The rows are
        views, never copied per iteration.  With ``workers`` each chunk
        takes its rows along, once.  A ``dask.array`` with a Dask client
        stays on the cluster: the chunks of starts follow its blocks
        along the first axis (rechunked to ``chunk_size`` when given),
        each computed by the workers and never gathered here; without a
        client it is computed here, as ``np.asarray`` computes it.  None
        or ``()`` (default): no per-start data.  See
        :ref:`guide-per-start-data`.

    Returns
    -------
    MultiStartResult
        The best start's result, with ``best``, ``results``, ``xs``,
        ``funs`` and ``statuses`` of all starts.

    Raises
    ------
    TypeError, ValueError
        A bad argument, before anything runs; for ``batch_args`` the
        message names the element (``batch_args[1]``): not a tuple or
        list, not an array of numbers, or not one row per start.
    Exception
        An exception from ``fun``, ``jac`` or ``lr_schedule`` propagates
        unchanged (as from :func:`adaopt.minimize`) and carries, as
        ``adaopt_result``, the :class:`MultiStartResult` of every start:
        those that had finished, with their results; those it stopped,
        at their last evaluated iterate with status 7
        (:data:`adaopt.status.EXCEPTION`); those not yet begun with
        status 8 (below).

    Notes
    -----
    Ctrl-C (``KeyboardInterrupt``) stops every start, not only the running
    one, and returns the work done: a start it stops has status 6
    (:data:`adaopt.status.INTERRUPTED`) and its last evaluated iterate; a
    start that never began (with a Python objective the starts run one
    after the other) has status 8 (:data:`adaopt.status.NOT_RUN`), ``x``
    its start, ``fun`` and ``jac`` NaN, ``nit = nfev = njev = 0`` and a
    message saying why.  ``best`` is the best of the starts that ran (a
    start not run has no finite ``fun``).


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

    One least-squares fit per row of data: the slope ``a`` of
    :math:`y = a t` for each row of ``Y`` (``t`` shared, in ``args``):

    >>> t = np.linspace(0.0, 1.0, 5)
    >>> Y = np.array([[2.0], [-1.0], [0.5]]) * t        # one row per fit
    >>> def sse(x, t, y):
    ...     r = x[0] * t - y
    ...     return float(r @ r), np.array([2.0 * (r @ t)])
    >>> res = adaopt.multistart(sse, np.zeros((3, 1)), args=(t,), jac=True,
    ...                         batch_args=(Y,), method="sgd", options=dict(lr=0.3))
    >>> res.xs.round(4).ravel(), res.statuses
    (array([ 2. , -1. ,  0.5]), array([0, 0, 0]))
    """
    workers = _workers.check_workers(workers)
    x0s = _check_starts(x0s)
    batch = _check_batch_args(batch_args, len(x0s), _workers.is_dask_client(workers))
    if workers is None and chunk_size is not None:
        raise ValueError("chunk_size needs workers (the starts are chunked only to "
                         "go to workers)")
    chunks = (None if workers is None
              else _workers.chunk_bounds(len(x0s), workers, chunk_size, batch))
    with warnings.catch_warnings():
        # the one warning about starts outside the bounds is given below
        warnings.filterwarnings("ignore", "Initial guess is not within",
                                OptimizeWarning)
        problem = parse_problem(fun, x0s[0], args=args, method=method, jac=jac,
                                bounds=bounds, tol=tol, options=options)
    x0s = x0s.astype(problem.x0.dtype, copy=False)
    if problem.lower is not None:
        clipped = np.minimum(np.maximum(x0s, problem.lower), problem.upper)
        if not np.array_equal(clipped, x0s):
            warnings.warn("Some starting points are not within the specified bounds",
                          OptimizeWarning, stacklevel=2)
        x0s = clipped
    maximize = bool(problem.hyper.get("maximize", False))
    disp, progress = problem.disp, problem.progress
    problem = dataclasses.replace(problem, disp=False, progress=0)
    if workers is not None:
        call = dict(fun=fun, args=args, method=method, jac=jac, bounds=bounds, tol=tol,
                    options=dict(options or {}, disp=False, progress=0))
        _workers.check_picklable(workers, "fun, jac, args and options", call)
        out = _collect(_run_on_workers(call, x0s, batch, chunks, workers,
                                       problem.out if progress else None, maximize),
                       maximize)
        if disp:
            print_summary(out, problem.out)
        return out
    name = problem.driver
    why = compiled_driver_unsupported(problem)
    if name == "compiled" and why is not None:
        raise ValueError(why)
    if name == "compiled" or (name == "auto" and why is None):
        results = _run_parallel(problem, x0s, batch, maximize)
    else:
        one = problem.driver if name == "python" else "auto"
        results = _run_serial(dataclasses.replace(problem, driver=one), x0s, batch,
                              maximize)
    out = _collect(results, maximize)
    if disp:
        print_summary(out, problem.out)
    return out


def _collect(results, maximize):
    """The :class:`MultiStartResult` of the per-start ``results``."""
    best = _best(results, maximize)
    out = MultiStartResult(results[best])
    out.update(best=best, results=results, xs=np.array([r.x for r in results]),
               funs=np.array([r.fun for r in results]),
               statuses=np.array([r.status for r in results]))
    return out


def _unevaluated(x0, code):
    """A result of status ``code`` at ``x0``, nothing evaluated (``fun``, ``jac`` NaN)."""
    return make_result(x0.copy(), math.nan,
                              np.full(x0.shape, np.nan, dtype=x0.dtype), 0, 0, 0, code)


def _not_run(x0, why):
    """The result of a start that never began, ``why`` the status that stopped
    the multistart."""
    res = _unevaluated(x0, status.NOT_RUN)
    res.message = status.NOT_RUN_MESSAGES[why]
    return res


def _start_args(args, batch, i):
    """The arguments after ``x`` of start ``i``: ``args`` and its rows of the
    ``batch`` arrays (views; the compiled driver's ``_rows_of`` builds the same)."""
    return args + tuple(b[i] for b in batch)


def _run_serial(problem, x0s, batch, maximize):
    """Run the starts one after the other; return their results.

    ``KeyboardInterrupt`` stops the whole multistart: the start it hits
    returns its work so far (status ``INTERRUPTED``), the later ones are not
    run.  Any other exception propagates with, as ``adaopt_result``, the
    :class:`MultiStartResult` of every start: those finished, the failing
    one's own ``adaopt_result`` (status ``EXCEPTION``) and the rest not run.
    """
    results = []
    try:
        for i, row in enumerate(x0s):
            res = run_minimize(dataclasses.replace(
                problem, x0=row.copy(), args=_start_args(problem.args, batch, i)))
            results.append(res)
            if res.status == status.INTERRUPTED:
                break
    except KeyboardInterrupt:
        # outside the driver's own handling (between starts, or before the
        # first evaluation): the start it hit has nothing evaluated
        if len(results) < len(x0s):
            results.append(_unevaluated(x0s[len(results)], status.INTERRUPTED))
    except Exception as exc:
        part = getattr(exc, RESULT_ATTRIBUTE, None)
        if len(results) < len(x0s):
            if not isinstance(part, OptimizeResult) or isinstance(part, MultiStartResult):
                part = _unevaluated(x0s[len(results)], status.EXCEPTION)
            results.append(part)
        results += [_not_run(row, status.EXCEPTION) for row in x0s[len(results):]]
        attach_result(exc, _collect(results, maximize))
        raise
    results += [_not_run(row, status.INTERRUPTED) for row in x0s[len(results):]]
    return results


#: The message of a start whose chunk Ctrl-C cancelled on the workers.
_CANCELLED = "Interrupted: KeyboardInterrupt cancelled its chunk on the workers."


def _run_chunk(payload):
    """One chunk on a worker: an ordinary in-process ``multistart`` of its rows
    (of ``x0s`` and of each batch array)."""
    rows, batch, call = payload
    return multistart(x0s=rows, batch_args=batch, **call).results


def _run_on_workers(call, x0s, batch, chunks, workers, say, maximize):
    """Run the ``chunks`` of ``x0s`` (and of the ``batch`` arrays) on
    ``workers``; return the results in row order.

    ``call`` holds ``multistart``'s other arguments; ``say`` prints a
    progress line as each chunk arrives (None: quiet).  Ctrl-C returns the
    chunks that came back, the others' starts ``INTERRUPTED`` at their
    start.  An exception in a chunk propagates with the
    :class:`MultiStartResult` of every start as ``adaopt_result``: the
    chunks back, the failing chunk's own result, the rest not run.
    """
    results = [None] * len(x0s)
    back = []

    def deliver(c, chunk_results):
        lo, hi = chunks[c]
        results[lo:hi] = chunk_results
        back.append(c)
        if say is not None:
            converged = sum(bool(r.success) for r in results if r is not None)
            say(f"multistart: {len(back)}/{len(chunks)} chunks done, "
                f"{converged}/{len(x0s)} starts converged")

    def failed(c, exc):
        lo, hi = chunks[c]
        part = getattr(exc, RESULT_ATTRIBUTE, None)
        if isinstance(part, MultiStartResult) and len(part.results) == hi - lo:
            results[lo:hi] = part.results
        else:      # the worker itself failed (Dask's KilledWorker, say)
            results[lo:hi] = [_unevaluated(row, status.EXCEPTION) for row in x0s[lo:hi]]
        for i, row in enumerate(x0s):
            if results[i] is None:
                results[i] = _not_run(row, status.EXCEPTION)
        attach_result(exc, _collect(results, maximize))

    payloads = [(x0s[lo:hi], rows, call) for (lo, hi), rows
                in zip(chunks, _workers.split_rows(batch, chunks, workers))]
    _workers.run_tasks(_run_chunk, payloads, workers, deliver, failed,
                       say and (lambda text: say(f"multistart: {text}")))
    for i, row in enumerate(x0s):
        if results[i] is None:          # Ctrl-C cancelled its chunk
            results[i] = _unevaluated(row, status.INTERRUPTED)
            results[i].message = _CANCELLED
    return results


def _check_starts(x0s):
    """``x0s`` as a private C-contiguous 2-D array, under the rules of ``x0``."""
    # a masked array keeps its mask, for check_x0 to refuse masked elements
    arr = x0s if isinstance(x0s, np.ma.MaskedArray) else np.asarray(x0s)
    if arr.ndim != 2:
        raise ValueError(f"x0s must be 2-D (one start per row), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"x0s must have at least one row and one column, got shape "
                         f"{arr.shape}")
    # dtype and finiteness: exactly the rules (and messages) of minimize's x0
    return check_x0(arr.reshape(-1), "x0s").reshape(arr.shape)


def _check_batch_args(batch_args, nstart, lazy):
    """``batch_args`` as a tuple of arrays with one row per start (first axis).

    Each array keeps its dtype (numbers or booleans: it is data, not an
    iterate) and becomes C-contiguous, aligned and native byte order, a copy
    only where it is not already so (Numba would refuse or misread it, and
    every path must see the same rows).  With ``lazy`` (``workers`` a Dask
    client) a dask array stays one, checked by its metadata only: its
    blocks are computed on the cluster, and converted there (by this check,
    in the chunk's own ``multistart``).  Without a client it is computed
    here, as ``np.asarray`` computes it.
    """
    if batch_args is None:
        return ()
    if not isinstance(batch_args, (tuple, list)):
        raise TypeError(f"batch_args must be a tuple or list of arrays (start i gets "
                        f"row i of each), got {type(batch_args).__name__}; for one "
                        f"array A pass batch_args=(A,)")
    out = []
    for k, a in enumerate(batch_args):
        name = f"batch_args[{k}]"
        if isinstance(a, np.ma.MaskedArray):
            raise TypeError(f"{name} must not be a masked array (the objective would "
                            f"get the values under the mask); pass {name}.filled(value)")
        if not (lazy and _workers.is_dask_array(a)):
            try:
                a = np.asarray(a)
            except (TypeError, ValueError) as err:      # a ragged list, say
                raise TypeError(f"{name} must be an array (array_like), got "
                                f"{type(a).__name__}: {err}") from err
        if a.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be an array of numbers or booleans, got "
                            f"dtype {a.dtype}")
        if a.ndim == 0 or a.shape[0] != nstart:
            raise ValueError(f"{name} must have one row per start: a first axis of "
                             f"length len(x0s) = {nstart}, got shape {a.shape}")
        if isinstance(a, np.ndarray):
            a = np.require(a, dtype=a.dtype.newbyteorder("="), requirements="CA")
        out.append(a)
    return tuple(out)


def _best(results, maximize):
    """Row of the lowest (highest when maximizing) finite ``fun``, first on ties."""
    best, best_f = 0, math.nan
    for i, r in enumerate(results):
        f = r.fun
        if math.isfinite(f) and (math.isnan(best_f)
                                 or (f > best_f if maximize else f < best_f)):
            best, best_f = i, f
    return best


def _run_parallel(problem, x0s, batch, maximize):
    """Run every start in the compiled multi-start driver; return their results.

    Start ``i`` gets ``problem.args`` and its rows of the ``batch`` arrays,
    as views made in the driver (:func:`_start_args`).

    ``KeyboardInterrupt`` (seen between chunks) stops every start with
    status ``INTERRUPTED``.  Any other exception, from the schedule or a
    start's objective, propagates unchanged with the
    :class:`MultiStartResult` of every start as ``adaopt_result``: the
    starts that had stopped with their status, the others (which were
    running) at their last evaluated iterate with status ``EXCEPTION``.
    """
    nstart, n = x0s.shape
    ws = make_workspace(problem)
    W, cfg = ws.W, ws.cfg
    # every start begins from the same workspace, with its own x0 (already
    # in the bounds)
    Ws = np.repeat(W[None], nstart, axis=0)
    Ws[:, Row.X] = x0s
    Ws[:, Row.XPREV] = x0s
    hps = np.repeat(ws.hp[None], nstart, axis=0)
    ctls = np.repeat(ws.ctl[None], nstart, axis=0)
    gs = np.zeros((nstart, n), dtype=x0s.dtype)
    counts = np.zeros((nstart, 2), dtype=np.int64)
    codes = np.full(nstart, CONTINUE, dtype=np.int64)
    jac = problem.jac if problem.jac_mode == "callable" else None
    args = problem.args
    # the types of every start's arguments are those of the first start's
    check_jitted_returns(problem.fun, jac, W[Row.X], _start_args(args, batch, 0))

    def parallel(kstop, lrs):
        run = driver_for("multi", problem, ws, jac)
        try:
            run(Ws, gs, hps, cfg, ctls, counts, codes, args, batch, lrs, kstop)
            return
        except SystemError as err:
            # An exception raised by the objective in one of Numba's threads
            # reaches Python as a SystemError ("returned a result with an
            # exception set") whose cause is the objective's exception.
            cause = err.__cause__
            if not isinstance(cause, Exception):
                raise
        raise cause

    def serial(kstop, lrs):
        run = driver_for("single", problem, ws, jac)
        for i in range(nstart):
            if codes[i] == CONTINUE:
                codes[i] = run(Ws[i], gs[i], hps[i], cfg, ctls[i], counts[i],
                               _start_args(args, batch, i), lrs, kstop)

    def chunk(kstop, lrs):
        _threading.run_kernel(parallel, serial, kstop, lrs)
        return CONTINUE if np.any(codes == CONTINUE) else status.GTOL

    def iterations_done():
        return int(ctls[codes == CONTINUE, Ctl.K].max())

    gs_final = list(gs)

    def stop_running(code):
        # the starts still running go back to their last evaluated iterate;
        # one that never began (an objective raised in another start of the
        # first chunk before its thread reached it) is not run
        for i in np.flatnonzero(codes == CONTINUE):
            codes[i] = code if counts[i, 0] > 0 else status.NOT_RUN
            gs_final[i] = back_to_evaluated(Ws[i], gs[i], ctls[i])

    def results():
        out = []
        for i in range(nstart):
            code = int(codes[i])
            g = final_gradient(Ws[i], gs_final[i], code)
            out.append(make_result(
                Ws[i, Row.X].copy(), float(ctls[i, Ctl.F]), np.array(g, copy=True),
                int(ctls[i, Ctl.K]), int(counts[i, 0]), int(counts[i, 1]), code))
            if code == status.NOT_RUN:
                out[-1].message = status.NOT_RUN_MESSAGES[status.EXCEPTION]
        return out

    try:
        run_chunks(chunk, problem.lr_schedule, problem.hyper["lr"], iterations_done,
                   problem.iteration_limit)
    except KeyboardInterrupt:
        stop_running(status.INTERRUPTED)
    except Exception as exc:
        stop_running(status.EXCEPTION)
        attach_result(exc, _collect(results(), maximize))
        raise
    return results()
