r"""The Python-driven loop: ``minimize`` for Python objectives.

The loop calls ``fun``/``jac`` and the compiled iteration
(:func:`adaopt._iteration.get_advance`) once per iteration, in the order of
:mod:`adaopt._iteration`; everything it knows of the method comes from the
problem's method description.
"""

import math

import numpy as np

from . import _feedback, _threading, kernels, status
from ._iteration import (CONTINUE, WRONG_LENGTH, Progress, attach_result,
                         back_to_evaluated, final_gradient, get_advance, make_result,
                         optimize_result, print_summary)
from ._learning_rate import PLACEHOLDER_LR, checked_rate
from ._problem import make_workspace
from ._validation import as_gradient, check_value
from ._workspace import Ctl, Row
from .finite_differences import FiniteDifferenceGradient

__all__ = ["run_python"]


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
    parallel = kernels.use_parallel(problem.x0.size)
    with _threading.parallel_region(parallel) as held:
        return _run_python(problem, parallel=held)


def _run_python(problem, parallel):
    ws = make_workspace(problem)
    W, hp, cfg, ctl = ws.W, ws.hp, ws.cfg, ws.ctl
    method = problem.method
    advance = get_advance(method, ws.flavour, parallel, W.dtype, method.kernel_bodies(cfg))
    # the method's preparation of a step: with the parallel clip norm when
    # this run holds the parallel region
    prepare = method.step_scalars_build(parallel, method.clips_norm(cfg))
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
    # Scalars of a step that change with t (a schedule's rate, or the
    # method's own: bias correction, clip_norm, ...) are prepared each step
    per_step = ws.prepare
    schedule = problem.lr_schedule
    rule = problem.lr_rule is not None
    next_rate = _feedback.next_rate
    lr_constant = problem.hyper["lr"]
    limit = problem.iteration_limit
    deferred = None    # what the schedule raised for the step prepared last
    progress = (Progress(problem.progress, problem.out, problem.lr_rule is not None)
                if problem.progress else None)
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
                if rule:
                    # fed at every pass, as the compiled loop feeds it
                    lr = next_rate(ctl, f)
                elif t <= limit:
                    try:
                        lr = (lr_constant if schedule is None
                              else checked_rate(schedule(t), t))
                    except Exception as err:
                        # an error only if step t is taken: see below
                        lr, deferred = PLACEHOLDER_LR, err
                prepare(hp, cfg, g, lr, t)
            code = advance(W, g, hp, ctl)
            if code >= 0:
                break
            if code == wrong_length:
                as_gradient(g, x)               # raises, naming the shape
            if callback is not None:
                if ctl[K] > 0.0:
                    try:
                        callback(optimize_result(x=x.copy(), fun=float(ctl[F]),
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
                    progress.line(ctl)
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
    result = _python_result(problem, W, final_gradient(W, g, code), ctl, fd, nfev,
                            njev, code)
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
