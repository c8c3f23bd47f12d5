r"""Whole-loop compilation: the iteration loop in Numba's nopython mode.

When the objective and its gradient are Numba-jitted functions nothing forces
the iteration back into the interpreter: objective, gradient, the per-step
scalars, the stopping tests, the method's step and the bounds projection all run
compiled, at tens of nanoseconds per iteration on a small problem instead of
the microseconds of a Python-driven loop.

Nothing of the iteration is written twice.  The compiled loop runs the same
``advance`` as the Python loop of :mod:`adaopt._python_loop` (the stopping
tests in their documented order, the method's kernel, the projection: one
source in :mod:`adaopt._iteration`, here inlined, calling the kernel's
disk-cached serial build), and the
method's own preparation of each step's scalars, on the work arrays of
:func:`adaopt._problem.make_workspace`; it only replaces the Python calls
of ``fun``/``jac`` between two ``advance`` calls by compiled ones.  So both
drivers stop at the same iterate with the same status, to the bit.

Three callers share the loop :func:`iterate`:

* :func:`run_compiled`, the ``driver='compiled'`` of :func:`adaopt.minimize`;
* :func:`adaopt.multistart`, which runs it for many starts in parallel;
* the njit entry point (:mod:`adaopt._njit_entry`), callable from the
  user's own ``@njit`` code.

Chunks
------
:func:`run_compiled` runs the loop in chunks of iterations and returns to
Python between them, the chunk growing while it takes less than about 50 ms.
Between chunks it tabulates the learning rates of an ``lr_schedule`` for the
next chunk (a schedule is Python code; never for a step beyond ``maxiter``
or the ``maxfev`` limit, and a failing schedule is handled as the Python
driver handles it: see :func:`run_chunks`), prints the ``progress`` line, and
lets a ``KeyboardInterrupt`` end the run with the work done so far (status
``INTERRUPTED``, as the Python driver does).  Any other exception, from
the jitted objective or the schedule, carries the result so far as
``exc.adaopt_result``, as from the Python driver.  A ``callback``, which scipy
calls after every iteration, is not supported by the compiled driver:
``driver='auto'`` takes the Python driver when there is one.

What compiles, and when
-----------------------
Numba specializes code that calls a jitted function on *which* function it
calls, so a driver is compiled once per objective (per ``fun``, ``jac``,
dtype of ``x0`` and types of ``args``; not per option value: every option
is a runtime value):

* :func:`run_compiled` and :func:`adaopt.multistart` build, per objective, a
  small driver that names ``fun`` and ``jac`` as constants, and cache it on
  disk (Numba's ``cache=True``) under a name that covers everything Numba
  compiles into it (:func:`adaopt._objective_digest.objective_digest`): the module, qualified name,
  bytecode, options and source-file stamp of the objective and of every
  jitted function it calls, in any module; the values of the globals, closure
  cells and defaults they read (numbers and strings, NumPy arrays by dtype,
  shape and contents, tuples of those; objects of numpy, math, cmath, numba
  and adaopt by name and version); and the stamps of adaopt's own kernel
  modules.  A later process finds the driver there and compiles nothing; one
  whose objective reads other values (a module-level array set from the
  environment, say) or calls edited code compiles its own.  An objective
  whose name cannot be proven so gets an in-memory driver only: one without
  a source file (typed at the interpreter prompt, built with ``exec``), or
  one that reads a module of the user's (``mymod.f``), an object, a list or
  a Python function that is not jitted.  A driver compiled against other
  values would return their answer.  (The objective's own compiled code
  comes from its dispatcher: for an objective decorated ``cache=True``,
  from Numba's own cache, which does not notice changed globals either,
  as Numba documents.)
* the njit entry point is inlined into the calling function (Numba IR
  inlining, ``inline='always'``), where it calls the driver of
  :func:`get_driver` for a jitted objective (or inlines the loop for a
  first-class function), so a caller decorated with ``@njit(cache=True)``
  is cached with the whole optimization linked into it, by Numba's own cache: keyed on the caller's source file, not on the key
  above, so it does not notice changed globals or edits to other files.  (A
  non-inlined optimizer that takes a jitted function as an argument makes
  every caller uncacheable: Numba then embeds the address of the function
  object, a "dynamic global".)

adaopt's own cache files are loaded only from directories and files no other
user can write (see ``adaopt._numba_cache``).

To keep first-call latency low, decorate objectives with
``@numba.njit(cache=True)``: with a warm cache the first call of a new
process then loads everything from disk (``python -m asv`` benchmark
``bench_compiled.FirstCall`` measures both cases).
"""

import math
import threading
import time
import types as pytypes

import numba
import numpy as np

from . import _feedback, _numba_cache, status
from ._borrow import borrowed, keep_alive
from ._compiled_objective import check_jitted_returns, evaluate
from ._iteration import (CONTINUE, Progress, attach_result, back_to_evaluated,
                         final_gradient, inline_advance, make_result, print_summary)
from ._learning_rate import PLACEHOLDER_LR, rate_prefix
from ._objective_digest import objective_digest
from ._problem import make_workspace
from ._validation import is_jitted
from ._workspace import Ctl, Row

_NO_LRS = np.empty(0, dtype=np.float64)

__all__ = ["iterate", "get_driver", "build_of", "driver_for", "run_chunks", "run_compiled",
           "compiled_driver_unsupported"]


@numba.njit(inline="always")
def iterate(fun, jac, advance, prepare, next_rate, W, g, hp, cfg, ctl, counts, args, lrs,
            kstop):
    """Iterate until a status, or until ``ctl[K]`` reaches ``kstop``.

    Each pass evaluates ``f`` and ``g`` at the iterate in ``W[X]`` (which a
    chunk always starts with unevaluated), prepares the step's scalars when
    ``ctl[PREPARE]`` says they change from step to step (the method's
    ``prepare(hp, cfg, g, lr, t)``), and calls ``advance(W, g, hp, ctl)``
    (steps 1 and 3-8 of :mod:`adaopt._iteration`).  The rate is the
    feedback rule's when ``ctl[LR_RULE]`` names one (``next_rate(ctl, f)``
    fed with every ``f``, a build of :func:`adaopt._feedback.compiled_rule`);
    else ``lrs`` holds the learning rates of steps
    ``k0 + 1, k0 + 2, ...`` of a schedule, ``k0 = ctl[K]`` on entry, or is
    empty for the constant rate ``cfg[0]`` (every method's first setting is
    ``lr``).  ``counts`` accumulates ``nfev`` and ``njev``.  Returns the
    status, or ``CONTINUE`` at ``kstop``.
    """
    # The objective gets an ordinary array of its own (it may keep or modify
    # it); everything else works on borrowed arrays: no atomic reference
    # counting in the loop (a third of an iteration at n = 2; see
    # adaopt._borrow).
    xe = W[Row.X].copy()
    Wb = borrowed(W)
    x = Wb[Row.X]
    gb = borrowed(g)
    hpb = borrowed(hp)
    cfgb = borrowed(cfg)
    ctlb = borrowed(ctl)
    countsb = borrowed(counts)
    k0 = int(ctlb[Ctl.K])
    scheduled = lrs.shape[0] > 0
    per_step = ctlb[Ctl.PREPARE] != 0.0
    rule = ctlb[Ctl.LR_RULE] != _feedback.CONSTANT
    lr = cfgb[0]
    while True:
        f = evaluate(fun, jac, x, xe, args, gb, countsb)
        ctlb[Ctl.F] = f
        if per_step:
            t = int(ctlb[Ctl.K]) + 1
            if rule:
                lr = next_rate(ctlb, f)
            elif scheduled:
                lr = lrs[t - 1 - k0]
            prepare(hpb, cfgb, gb, lr, t)
        code = advance(Wb, gb, hpb, ctlb)
        if code != CONTINUE or ctlb[Ctl.K] >= kstop:
            break
    # The owners stay alive until their borrowed views are last read: inlined
    # into the njit entry point, whose locals they are, hp's last use was
    # otherwise borrowed(hp), and Numba freed it while the loop still read it
    # (an objective that allocates then got its memory: a wrong stop at x0).
    keep_alive(W)
    keep_alive(g)
    keep_alive(hp)
    keep_alive(cfg)
    keep_alive(ctl)
    keep_alive(counts)
    return code


# -- per-objective drivers, cached on disk ----------------------------------------

def _single_template(W, g, hp, cfg, ctl, counts, args, lrs, kstop):
    return iterate(_fun, _jac, _advance, _prepare, _next_rate,  # noqa: F821  (bound per driver)
                   W, g, hp, cfg, ctl, counts, args, lrs, kstop)


def _rows_of(batch, i):  # pragma: no cover - replaced by the overload
    """``tuple(b[i] for b in batch)``: start ``i``'s rows of the batch arrays."""


@numba.extending.overload(_rows_of, inline="always")
def _rows_of_overload(batch, i):
    # one item per array, each with a constant index (the arrays' types may
    # differ): views of the rows, made once per start and chunk, not copies
    items = "".join(f"batch[{k}][i], " for k in range(len(batch)))
    scope = {}
    exec(f"def impl(batch, i):\n    return ({items})\n", scope)
    return scope["impl"]


def _multi_template(W, G, HPS, cfg, CTL, COUNTS, CODES, args, batch, lrs, kstop):
    # The loop body calls the single driver rather than inlining the loop:
    # prange needs a body with one exit, and the loop has several.  Start i
    # gets args and its rows of the batch arrays (multistart's batch_args).
    for i in numba.prange(W.shape[0]):
        if CODES[i] == CONTINUE:
            CODES[i] = _single(W[i], G[i], HPS[i], cfg, CTL[i],  # noqa: F821
                               COUNTS[i], args + _rows_of(batch, i), lrs, kstop)


_TEMPLATES = {"single": _single_template, "multi": _multi_template}
_drivers = {}
_drivers_lock = threading.RLock()


def get_driver(kind, method, flavour, fun, jac, clips, plateau, bodies="both"):
    """Return the compiled driver ``kind`` (``'single'`` or ``'multi'``) for an objective.

    ``jac`` None means ``fun`` returns ``(f, g)``; ``method`` and ``flavour``
    pick the iteration and the preparation of a step, ``clips`` (the run's
    :meth:`~adaopt._method.Method.clips_norm`) whether that preparation
    links the clip-norm kernel: a driver for runs without ``clip_norm``
    compiles about 1 s less, and refuses a run that clips; ``plateau``
    (:func:`adaopt._feedback.uses_plateau`) whether its rules include the
    plateau rule, likewise; ``bodies`` which bodies its kernel carries (the
    run's :meth:`~adaopt._method.Method.kernel_bodies`).  The driver is a copy
    of the template function whose globals ``_fun``, ``_jac``, ``_advance``
    and ``_prepare`` are the objective, the flavour's inlined iteration and
    the method's inlined preparation, so Numba compiles direct calls and,
    having no function object to embed, can cache the result (see the
    module docstring).
    """
    flavour = tuple(bool(u) for u in flavour)
    clips, plateau = bool(clips), bool(plateau)
    key = (kind, method.engine, flavour, fun, jac, clips, plateau, bodies)
    found = _drivers.get(key)
    if found is not None:
        return found
    with _drivers_lock:
        found = _drivers.get(key)
        if found is None:
            template = _TEMPLATES[kind]
            digest = objective_digest(fun, jac)
            bits = "".join(str(int(u)) for u in flavour)
            name = (f"{template.__name__}_{digest or 'uncached'}_{method.engine}_{bits}"
                    f"{'' if clips else '_noclip'}{'_plateau' if plateau else ''}"
                    f"{'' if bodies == 'both' else '_' + bodies}")
            scope = dict(template.__globals__, _fun=fun, _jac=jac,
                         _advance=inline_advance(method, flavour, bodies),
                         _prepare=method.step_scalars_inline(clips),
                         _next_rate=_feedback.compiled_rule(plateau)[1])
            if kind == "multi":
                scope["_single"] = get_driver("single", method, flavour, fun, jac, clips,
                                              plateau, bodies)
            pyfunc = pytypes.FunctionType(template.__code__, scope, name)
            pyfunc.__qualname__ = name
            options = dict(nogil=True, parallel=kind == "multi", error_model="numpy")
            # njit_cached: cache=True that survives read-only installs and
            # corrupt cache files (see adaopt._numba_cache)
            found = (_numba_cache.njit_cached(pyfunc, **options) if digest is not None
                     else numba.njit(pyfunc, **options))
            _drivers[key] = found
    return found


def build_of(problem, ws):
    """Which build of :func:`get_driver` runs ``problem`` on the workspace ``ws``.

    Its keyword arguments other than ``kind``, ``fun`` and ``jac``, from the
    run's settings: its flavour, whether it clips the norm and which kernel
    bodies it needs (``cfg``), and whether its rule is the plateau rule
    (``ctl``).  Nothing compiles here.
    """
    method = problem.method
    return dict(method=method, flavour=ws.flavour, clips=method.clips_norm(ws.cfg),
                plateau=_feedback.uses_plateau(ws.ctl), bodies=method.kernel_bodies(ws.cfg))


def driver_for(kind, problem, ws, jac):
    """:func:`get_driver` of ``kind`` for ``problem`` run on the workspace ``ws``
    (the build :func:`build_of` names)."""
    return get_driver(kind, fun=problem.fun, jac=jac, **build_of(problem, ws))


# -- the driver of adaopt.minimize -------------------------------------------------

def compiled_driver_unsupported(problem):
    """Why ``problem`` cannot run compiled (a message), or None if it can."""
    mode = problem.jac_mode
    if mode not in ("callable", "combined"):
        return (f"driver='compiled' needs a gradient: jac a jitted function or "
                f"jac=True, got jac={mode!r} (finite differences)")
    if not is_jitted(problem.fun):
        return f"driver='compiled' needs fun to be a Numba-jitted function, got {problem.fun!r}"
    if mode == "callable" and not is_jitted(problem.jac):
        return f"driver='compiled' needs jac to be a Numba-jitted function, got {problem.jac!r}"
    if problem.callback is not None:
        return ("driver='compiled' does not call a Python callback after every "
                "iteration; use driver='python' (or 'auto') with a callback")
    return None


#: First chunk and cap of the iterations run between two returns to Python
#: (the cap is lower with a schedule, whose table of learning rates has one
#: float per iteration of the chunk), and the time a chunk may take before it
#: stops growing (by 4x per chunk).
_FIRST_CHUNK = 1024
_MAX_CHUNK = 1 << 22
_MAX_CHUNK_SCHEDULED = 1 << 16
_CHUNK_SECONDS = 0.05


def run_chunks(run_chunk, schedule, lr, ctl_k, limit, progress=None, every=0):
    """Call ``run_chunk(kstop, lrs) -> code`` until it returns a status.

    ``ctl_k()`` reads the iteration count ``k``.  With a progress interval
    ``every``, chunks end where the Python driver prints a progress line
    (right after the step that makes ``k - 1`` a multiple of ``every``) and
    ``progress()`` is called there.

    The rates are ``schedule``'s (checked, :mod:`adaopt._learning_rate`),
    or the constant ``lr`` when it is None (then no table is passed).
    ``limit`` is the last step the run can take
    (:attr:`adaopt._problem.Problem.iteration_limit`).  A chunk never ends after
    ``limit + 1``, and a schedule is asked for the rates of steps up to
    ``limit`` only: the last pass of a run sets up step ``limit + 1`` before
    ``advance`` stops it, with a placeholder rate.  Should the schedule
    raise (or give a bad rate) at a step ``t`` of the next chunk, the chunk
    ends at ``t`` with a placeholder rate for step ``t``: a run that stops
    before step ``t`` returns its status as usual (the rate was never
    needed, as in the Python driver); one that took step ``t`` gets the
    schedule's exception raised here, and the caller goes back to
    :math:`x_{t-1}` (:func:`adaopt._iteration.back_to_evaluated`).
    """
    scheduled = schedule is not None
    size = _FIRST_CHUNK
    cap = _MAX_CHUNK_SCHEDULED if scheduled else _MAX_CHUNK
    while True:
        k = ctl_k()
        kstop = k + size
        if every:
            kstop = min(kstop, ((k - 1) // every + 1) * every + 1)
        if limit != math.inf:
            kstop = min(kstop, int(limit) + 1)
        error = None
        lrs = _NO_LRS
        if scheduled:
            lrs, error = rate_prefix(schedule, lr, k + 1, min(kstop, limit) + 1)
            if error is not None:
                kstop = k + 1 + lrs.shape[0]
            if lrs.shape[0] < kstop - k:
                # placeholders: the failing step, or step limit + 1
                lrs = np.concatenate(
                    [lrs, np.full(kstop - k - lrs.shape[0], PLACEHOLDER_LR)])
        start = time.perf_counter()
        code = run_chunk(float(kstop), lrs)
        if code != CONTINUE:
            return code
        if error is not None:
            raise error       # step kstop was taken with the placeholder
        if time.perf_counter() - start < _CHUNK_SECONDS:
            size = min(size * 4, cap)
        if every and (ctl_k() - 1) % every == 0:
            progress()


def run_compiled(problem):
    """Run ``problem`` in the compiled loop; return its OptimizeResult.

    Same iteration, stopping tests and result as the Python loop
    (:mod:`adaopt._python_loop`, :mod:`adaopt._iteration`), with
    ``fun``/``jac`` called from compiled code.
    ``KeyboardInterrupt`` is seen between chunks (see the module docstring)
    and ends the run with status ``INTERRUPTED`` and the last evaluated iterate.
    Any other exception, from the jitted objective or the schedule,
    propagates unchanged and carries the result of that same iterate with
    status ``EXCEPTION``, as from the Python driver
    (:func:`adaopt._iteration.attach_result`).

    Raises
    ------
    ValueError
        When the problem cannot run compiled (see
        :func:`compiled_driver_unsupported`), or the objective returns a
        gradient or ``f`` of the wrong shape.
    TypeError
        For an objective whose return types the loop cannot take (see
        :func:`check_jitted_returns`), before any driver is compiled.
    """
    why = compiled_driver_unsupported(problem)
    if why is not None:
        raise ValueError(why)
    ws = make_workspace(problem)
    W, hp, cfg, ctl = ws.W, ws.hp, ws.cfg, ws.ctl
    x = W[Row.X]
    g = np.zeros(x.shape, dtype=x.dtype)
    counts = np.zeros(2, dtype=np.int64)
    jac = problem.jac if problem.jac_mode == "callable" else None
    check_jitted_returns(problem.fun, jac, x, problem.args)
    run = driver_for("single", problem, ws, jac)
    args = problem.args
    progress = (Progress(problem.progress, problem.out, problem.lr_rule is not None)
                if problem.progress else None)

    def chunk(kstop, lrs):
        return run(W, g, hp, cfg, ctl, counts, args, lrs, kstop)

    def show_progress():
        # as the Python driver: the line of iteration k - 1, just stepped from
        progress.line(ctl)

    def result(g, code):
        return make_result(x.copy(), float(ctl[Ctl.F]), g.copy(), int(ctl[Ctl.K]),
                           int(counts[0]), int(counts[1]), code)

    try:
        code = run_chunks(chunk, problem.lr_schedule, problem.hyper["lr"],
                          lambda: int(ctl[Ctl.K]), problem.iteration_limit,
                          show_progress, problem.progress)
    except KeyboardInterrupt:
        code = status.INTERRUPTED
        g = back_to_evaluated(W, g, ctl)
    except Exception as exc:
        attach_result(exc, result(back_to_evaluated(W, g, ctl), status.EXCEPTION))
        raise
    res = result(final_gradient(W, g, code), code)
    if problem.disp:
        print_summary(res, problem.out)
    return res



