r"""The njit entry point: a method's whole run as a function for users' ``@njit`` code.

:func:`make_njit_entry` writes, for one method description, the function
``<method>_njit(fun, x0, args=(), jac=None, lower=None, upper=None,
<hyperparameters>, maxiter, maxfev, gtol, ftol, xtol)``: its defaults are the
description's and ``minimize``'s own, its checks are the description's
rendered in nopython form (:meth:`adaopt._method.Method.nopython_checks`),
and it runs the compiled loop of :mod:`adaopt._compiled_loop` on the work
arrays of :mod:`adaopt._workspace`, filled by the same functions as every
other front end.

How a call compiles
-------------------
``<method>_njit`` is a Python function of that signature with a Numba
``@overload`` (``inline='always'``): Numba inlines it into the calling
function, and its typer sees the types of the arguments passed and
``types.Omitted`` for those left out.  Types decide what the call compiles,
so that it compiles only what it can run:

* the flavour (which state arrays are in use), from the hyperparameters the
  description's state arrays name (``when``): one left at its default, or a
  boolean passed as a constant (a literal), fixes its array
  (:func:`possible_flavours`); a float passed has no literal type and leaves
  both, chosen at run time by ``ctl[FLAVOUR]``;
* ``clip_norm`` None, its default, links no clip-norm kernel, and only a
  rule's block (an array) as ``lr_schedule`` links the plateau rule;
* the kernel's bodies: with every hyperparameter but ``lr`` left at its
  default or passed as a constant, the settings are known and the kernel
  carries the one body they run, as ``minimize``'s would
  (:func:`kernel_bodies`); else both;
* a ``fun`` (and ``jac``) naming jitted functions runs the compiled drivers
  of :func:`adaopt.minimize` (:func:`adaopt._compiled_loop.get_driver`, on
  disk and shared with it, for settings known while compiling): the
  caller compiles a call of them only.  An
  objective that is a first-class function (picked at run time from a
  tuple of functions, say) has no driver of its own, and gets the compiled
  loop in a function of its own (in memory).

What is inlined into the caller is a shell of three calls, each of a
function compiled once for its arguments' types and shared by every caller
in the process: ``setup`` (the checks of the hyperparameters the call
passes -- one left out is minimize's default, encoded as a constant, which
took 0.3 s off a default call's cold compile -- and the filling of the work
arrays and of the rule's state), the run (the driver, or the compiled loop in a
function of its own), and ``finish`` (the result).  An inlined overload
is typed twice, once on its own and again inside the caller, and the
caller compiles what its IR holds: so the IR holds calls only.  Inlined it
must be: a called overload taking ``fun`` makes a ``cache=True`` caller
uncacheable (Numba embeds the dispatcher's address, a "dynamic global").
The code the shell calls is linked into the caller, so a caller decorated
``cache=True`` is cached with the whole run inside.  Called from Python,
the entry point runs the call in a small jitted function made for the
names of the arguments given, so that one left out is left out of the
compiled call too.
"""

import collections
import inspect
import linecache
import zlib

import numba
import numpy as np
from numba import types
from numba.extending import overload

from . import _feedback, _numba_cache, status
from ._compiled_loop import get_driver, iterate
from ._iteration import called_advance
from ._problem import METHODS, option_defaults
from ._workspace import (CTL_SIZE, Ctl, Row, check_box, copy_into, fill_control,
                         fill_workspace, iteration_limit_from_maxfev, workspace_rows)


#: Numba's JIT switched off (NUMBA_DISABLE_JIT=1): the entry point cannot run.
_DISABLE_JIT = bool(numba.config.DISABLE_JIT)

_fill_workspace = numba.njit(fill_workspace, inline="always")
_fill_control = numba.njit(fill_control, inline="always")
_workspace_rows = numba.njit(workspace_rows, inline="always")
_succeeded = numba.njit(status.succeeded, inline="always")
_maxfev_limit = numba.njit(iteration_limit_from_maxfev, inline="always")


def _is_off(ty):
    """Whether an optional argument of Numba type ``ty`` is None while the
    call compiles (passed as None, or left at its default None)."""
    return isinstance(ty, types.NoneType) or (isinstance(ty, types.Omitted)
                                              and ty.value is None)


def _as_type(value):
    """An argument as its typer sees it, as a Numba type: an omitted one
    arrives as its default (a Python object) or as ``types.Omitted``."""
    return value if isinstance(value, types.Type) else types.Omitted(value)


def _bound(bound, n, fill):  # pragma: no cover - replaced by the overload
    """``bound`` as a float64 array of ``n`` elements, ``fill`` if None."""


@overload(_bound, inline="always")
def _bound_overload(bound, n, fill):
    if _is_off(bound):
        def impl(bound, n, fill):
            return np.full(n, fill)
    elif isinstance(bound, types.Array):
        def impl(bound, n, fill):
            if bound.shape[0] != n:
                raise ValueError("lower and upper must have one entry per element of x0")
            out = np.empty(n)
            for i in range(n):
                out[i] = bound[i]
            return out
    else:
        def impl(bound, n, fill):
            return np.full(n, np.float64(bound))
    return impl


#: The rule of an omitted ``lr_schedule`` (minimize's default policy), and none.
_DEFAULT_RULE_NAME = "bold_driver"
_NO_RULE = np.empty(0)
_RULE_SIZE = _feedback.RULE_SLOTS.stop - _feedback.RULE_SLOTS.start
_BAD_RULE = ("lr_schedule must be 'bold_driver', None or the block() of an "
             "adaopt.schedules feedback rule")


def _rule_block(lr_schedule, default):  # pragma: no cover - replaced by the overload
    """The rule's slots of ``ctl`` that ``lr_schedule`` asks for (empty for None)."""


@overload(_rule_block, inline="always", prefer_literal=True)
def _rule_block_overload(lr_schedule, default):
    if isinstance(lr_schedule, types.NoneType):
        def impl(lr_schedule, default):
            return _NO_RULE
    elif isinstance(lr_schedule, (types.Omitted, types.StringLiteral)):
        # a name known while compiling (prefer_literal: the default arrives
        # as a literal) is decided here: comparing strings in nopython code
        # compiles Numba's unicode equality, ~3 s per caller
        value = (lr_schedule.value if isinstance(lr_schedule, types.Omitted)
                 else lr_schedule.literal_value)
        if value == _DEFAULT_RULE_NAME:
            def impl(lr_schedule, default):
                return default
        else:
            def impl(lr_schedule, default):
                raise ValueError(_BAD_RULE)
    elif isinstance(lr_schedule, types.UnicodeType):
        def impl(lr_schedule, default):
            if lr_schedule != _DEFAULT_RULE_NAME:
                raise ValueError(_BAD_RULE)
            return default
    elif isinstance(lr_schedule, types.Array) and lr_schedule.ndim == 1:
        def impl(lr_schedule, default):
            if lr_schedule.shape[0] != _RULE_SIZE:
                raise ValueError(_BAD_RULE)
            return lr_schedule
    else:
        return None
    return impl


def _kfev(maxfev):  # pragma: no cover - replaced by the overload
    """The iteration limit implied by ``maxfev`` (one evaluation per iteration)."""


@overload(_kfev, inline="always")
def _kfev_overload(maxfev):
    if _is_off(maxfev):
        return lambda maxfev: np.inf
    return lambda maxfev: np.float64(_maxfev_limit(maxfev, 1))


def _off_as_inf(value):  # pragma: no cover - replaced by the overload
    """An optional hyperparameter as its setting: None (off) is ``inf``."""


@overload(_off_as_inf, inline="always")
def _off_as_inf_overload(value):
    if _is_off(value):
        return lambda value: np.inf
    return lambda value: np.float64(value)


def _start(x0):  # pragma: no cover - replaced by the overload
    """``x0`` as the run's float array: integers become float64, as
    :func:`adaopt.minimize` converts them."""


@overload(_start, inline="always")
def _start_overload(x0):
    if not (isinstance(x0, types.Array) and x0.ndim == 1
            and isinstance(x0.dtype, (types.Float, types.Integer))
            and not isinstance(x0.dtype, types.Boolean)):
        raise numba.core.errors.TypingError(
            f"adaopt.rmsprop_njit: x0 must be a 1-D float32, float64 or integer "
            f"array, got {x0}")
    if isinstance(x0.dtype, types.Integer):
        return lambda x0: x0.astype(np.float64)
    if x0.dtype not in (types.float32, types.float64):
        raise numba.core.errors.TypingError(
            f"adaopt.rmsprop_njit: x0 must be float32 or float64, got {x0}")
    return lambda x0: x0




@numba.njit(inline="always")
def _bounded(lo, hi):
    """Whether ``[lo, hi]`` bounds anything; ``ValueError`` for lower > upper."""
    first, bounded = check_box(lo, hi)
    if first >= 0:
        raise ValueError("bounds: lower > upper (or NaN)")
    return bounded


_SETUP = """\
def setup({setup_params}, rule):
    cfg = np.empty({ncfg})
{checks}
    if not (maxiter >= 0 and gtol >= 0.0 and ftol >= 0.0 and xtol >= 0.0):
        raise ValueError("maxiter, gtol, ftol and xtol must be >= 0")
    kfev = _kfev(maxfev)
    x0 = _start(x0)
    n = x0.shape[0]
    lo = _bound(lower, n, -np.inf)
    hi = _bound(upper, n, np.inf)
    bounded = _bounded(lo, hi)
    uses = {uses}
    nstate = {nstate}
    flavour = 0
{flavour}
    initial = np.empty(nstate)
    j = 0
{initial}
    W = np.empty((_workspace_rows(nstate, bounded), n), dtype=x0.dtype)
    _fill_workspace(W, x0, lo, hi, bounded, initial)
    hp = np.empty({hp_size}, dtype=x0.dtype)
    _fixed_scalars(hp, cfg)
    ctl = np.empty(CTL_SIZE)
    _fill_control(ctl, gtol, ftol, xtol, maxiter, kfev, bounded, _per_step(cfg))
    ctl[Ctl.FLAVOUR] = flavour
    if rule.shape[0] > 0 and rule[0] != _CONSTANT:     # rule[0]: its kind
        _fill_rule(ctl, rule, cfg[0], -1.0 if maximize else 1.0)
        ctl[Ctl.PREPARE] = 1.0
    g = np.zeros(n, dtype=x0.dtype)
    counts = np.zeros(2, dtype=np.int64)
    # no tabulated rates: an array of the type minimize passes (a global
    # would be a read-only one, and give its driver another signature)
    lrs = np.empty(0)
    return W, g, hp, cfg, ctl, counts, lrs
"""

_TEMPLATE = """\
def impl({signature}):
    W, g, hp, cfg, ctl, counts, lrs = _setup({setup_params},
                                             _rule_block(lr_schedule, _DEFAULT_RULE))
    return _finish(W, g, ctl, counts, {run})
"""

#: The call of ``_run`` in the shell: a driver names the objective itself;
#: the compiled loop of a first-class function takes it as an argument.
_RUN_DRIVER = "_run(W, g, hp, cfg, ctl, counts, args, lrs, inf)"
_RUN_LOOP = "_run(fun, jac, W, g, hp, cfg, ctl, counts, args, lrs)"

_FINISH = """\
def finish(W, g, ctl, counts, code):
    if code == status.NONFINITE:
        copy_into(g, W[Row.GPREV])
    return _Result(W[Row.X].copy(), ctl[Ctl.F], g, int(ctl[Ctl.K]), counts[0],
                   counts[1], code, _succeeded(code))
"""

_BY_FLAVOUR = """\
def by_flavour({params}):
    flavour = ctl[Ctl.FLAVOUR]
{branches}
"""


def _by_flavour(method, funcs, params, **options):
    """A jitted function of ``params`` returning ``funcs[i](<params>)`` for the
    flavour ``i`` that ``ctl[FLAVOUR]`` names (``funcs``: index -> function)."""
    scope = {"Ctl": Ctl}
    lines = []
    for i, func in funcs.items():
        scope[f"_flavour_{i}"] = func
        lines.append(f"    if flavour == {float(i)!r}:\n        return _flavour_{i}({params})")
    lines.append("    return -2")     # never: the flavour is one of funcs
    source = _BY_FLAVOUR.format(params=params, branches="\n".join(lines))
    return numba.njit(_compile(source, "by_flavour", scope, method), **options)


def possible_flavours(method, deciders):
    """Indices into ``method.flavours`` that arguments of types ``deciders`` may pick.

    ``deciders`` are the Numba types of the hyperparameters named by the
    optional state arrays' ``when``, in order.  One left at its default
    (``types.Omitted``) or passed as a constant ``True``/``False`` fixes its
    array by the rule of :meth:`adaopt._method.Method.flavour`; any other
    (a number, a run-time boolean) leaves both choices.
    """
    optional = [i for i, s in enumerate(method.state) if not s.always]
    hyper = {h.name: h for h in method.hyperparameters}
    known = {}
    for i, ty in zip(optional, deciders):
        if isinstance(ty, types.Omitted):
            (slot,) = hyper[method.state[i].when].encode(ty.value)   # one slot
            known[i] = slot != 0.0
        elif isinstance(ty, types.BooleanLiteral):
            known[i] = bool(ty.literal_value)
    return tuple(k for k, flavour in enumerate(method.flavours)
                 if all(flavour[i] == used for i, used in known.items()))


_built = {}


def _dispatcher(ty):
    """The jitted function a Numba type names (``fun`` or ``jac`` passed as
    a ``@njit`` function), or None (a first-class function, say)."""
    return ty.dispatcher if isinstance(ty, types.Dispatcher) else None


def kernel_bodies(method, hyper):
    """The kernel bodies (:meth:`adaopt._method.Method.kernel_bodies`) a call
    needs, from ``hyper``: the hyperparameter arguments' Numba types by name.

    Known while compiling when every hyperparameter but ``lr`` is left at
    its default or passed as a constant (a literal): then the call's
    settings are known, and are those of ``minimize`` with the same
    options.  Else ``'both'``: a value given at run time may take either.
    """
    given = {}
    for name, ty in hyper.items():
        if name == "lr":
            continue        # no body's choice reads the rate
        if isinstance(ty, types.Omitted):
            given[name] = ty.value
        elif isinstance(ty, types.Literal):
            given[name] = ty.literal_value
        else:
            return "both"
    try:
        cfg = method.settings(method.check(given))
    except (TypeError, ValueError):
        return "both"      # the call's checks raise when it runs
    return method.kernel_bodies(cfg)


def _drivers(method, indices, fun, jac, clips, plateau, bodies):
    """The compiled drivers (:func:`adaopt._compiled_loop.get_driver`) of the
    flavours ``indices`` for the objective of Numba types ``fun`` and ``jac``,
    by index; None when they do not name jitted functions."""
    fun_jitted = _dispatcher(fun)
    jac_jitted = None if _is_off(jac) else _dispatcher(jac)
    if fun_jitted is None or (jac_jitted is None and not _is_off(jac)):
        return None
    return {i: get_driver("single", method, method.flavours[i], fun_jitted, jac_jitted,
                          clips, plateau, bodies) for i in indices}


def _run(method, indices, fun, jac, clips, plateau, bodies):
    """``(run, call)``: the jitted run of the flavours ``indices`` (of
    ``method.flavours``) for an objective of Numba types ``fun`` and ``jac``,
    and the shell's call of it (``_RUN_DRIVER`` or ``_RUN_LOOP``).

    For a jitted ``fun`` (and ``jac``) the run is the compiled driver of
    ``adaopt.minimize`` (disk-cached and shared with it), or a choice among
    several by ``ctl[FLAVOUR]``; for a first-class function, the compiled loop
    (in memory).  Either way its preparation of a step links no clip-norm
    kernel unless ``clips``, its rules no plateau rule unless ``plateau``,
    and its kernels carry ``bodies`` (:func:`kernel_bodies`).  Called, not
    inlined: typed once, not again in every caller.
    """
    drivers = _drivers(method, indices, fun, jac, clips, plateau, bodies)
    if drivers is not None:
        if len(drivers) == 1:
            return next(iter(drivers.values())), _RUN_DRIVER
        return _numba_cache.built_once(
            _built, ("drivers", method.name, *drivers.values()), lambda: _by_flavour(
                method, drivers, "W, g, hp, cfg, ctl, counts, args, lrs, kstop",
                nogil=True)), _RUN_DRIVER

    def build():
        advance = _by_flavour(
            method, {i: called_advance(method, method.flavours[i], bodies) for i in indices},
            "W, g, hp, ctl", inline="always")
        prepare = method.step_scalars_inline(clips=clips)
        next_rate = _feedback.compiled_rule(plateau)[1]

        def run(fun, jac, W, g, hp, cfg, ctl, counts, args, lrs):
            return iterate(fun, jac, advance, prepare, next_rate, W, g, hp, cfg, ctl,
                           counts, args, lrs, np.inf)
        return numba.njit(run, nogil=True, error_model="numpy")
    return _numba_cache.built_once(
        _built, ("loop", method.name, indices, clips, plateau, bodies), build), _RUN_LOOP


def _compile(source, name, scope, method):
    """Define ``name`` from ``source``, with the source kept for tracebacks
    (under a name of its own: ``setup`` has a source per set of omitted
    arguments)."""
    filename = f"<adaopt {method.name} {name} {zlib.crc32(source.encode()):08x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope.setdefault("__name__", __name__)     # the functions' __module__
    exec(compile(source, filename, "exec"), scope)
    return scope[name]


_TYPER = """\
def typer({signature}):
    return _impl_for(({deciders}), fun, jac, clip_norm, lr_schedule, ({hyper}))
"""

_FROM_PYTHON = """\
def from_python({params}):
    return _entry({arguments})
"""


def _parameters(method):
    """The entry point's parameters, ``[(name, default)]`` (no default: ``...``)."""
    limits = {k: v for k, v in option_defaults(method).items()
              if k in ("maxiter", "maxfev", "gtol", "ftol", "xtol")}
    hyper = [(h.name, h.default_in_minimize) for h in method.hyperparameters
             if h.in_minimize and not h.fixed]
    return [("fun", ...), ("x0", ...), ("args", ()), ("jac", None), ("lower", None),
            ("upper", None), *hyper, *limits.items(), ("lr_schedule", _DEFAULT_RULE_NAME)]


def make_njit_entry(method, doc):
    """The njit entry point of ``method`` (see the module docstring)."""
    name = f"{method.name}_njit"
    parameters = _parameters(method)
    signature = ", ".join(p if d is ... else f"{p}={d!r}" for p, d in parameters)
    optional = [i for i, s in enumerate(method.state) if not s.always]
    hyper_names = [h.name for h in method.hyperparameters if h.in_minimize and not h.fixed]
    # the flavour's index in method.flavours (itertools.product order)
    flavour = [f"    flavour = flavour * 2 + (1 if uses[{i}] else 0)" for i in optional]
    initial = []
    for i, s in enumerate(method.state):
        value = (f"cfg[{method.Cfg[s.initial.upper()].value}]"
                 if isinstance(s.initial, str) else repr(float(s.initial)))
        initial.append(f"    if uses[{i}]:\n        initial[j] = {value}\n        j += 1")
    setup_params = ", ".join(p for p, _ in parameters
                             if p not in ("fun", "args", "jac", "lr_schedule"))

    def setup_source(omitted):
        return _SETUP.format(
            setup_params=setup_params,
            ncfg=len(method.Cfg), checks="\n".join(method.nopython_checks(omitted=omitted)),
            nstate=" + ".join(f"(1 if uses[{i}] else 0)" for i in range(len(method.state))),
            flavour="\n".join(flavour) or "    pass", initial="\n".join(initial),
            hp_size=method.hp_size, uses=method.uses_source())
    result = collections.namedtuple(
        f"{method.title}Result",
        ["x", "fun", "jac", "nit", "nfev", "njev", "status", "success"])
    scope = dict(method.nopython_globals(), np=np,
                 status=status, Ctl=Ctl, Row=Row, CTL_SIZE=CTL_SIZE, _kfev=_kfev,
                 copy_into=copy_into,
                 _start=_start, _bound=_bound, _bounded=_bounded, _off_as_inf=_off_as_inf,
                 _fixed_scalars=method.fixed_scalars_inline(),
                 _per_step=method.per_step_inline(),
                 _fill_workspace=_fill_workspace,
                 _fill_control=_fill_control, _workspace_rows=_workspace_rows,
                 _succeeded=_succeeded, _rule_block=_rule_block,
                 _CONSTANT=_feedback.CONSTANT, _Result=result,
                 _DEFAULT_RULE=option_defaults(method)["lr_schedule"].block(),
                 inf=np.inf)
    finish = numba.njit(_compile(_FINISH, "finish", dict(scope), method))

    def setup_for(plateau, omitted):
        # a build whose rules can run the plateau rule or not (see _run), and
        # that checks only the hyperparameters the call passes
        scope_of = dict(scope, _fill_rule=_feedback.compiled_rule(plateau)[0])
        return _numba_cache.built_once(
            _built, ("setup", method.name, plateau, omitted),
            lambda: numba.njit(_compile(setup_source(omitted), "setup", scope_of, method)))

    def impl_for(deciders, fun, jac, clip_norm, lr_schedule, hyper):
        # an omitted argument reaches an overload's typer as its default
        # value (a Python object) or as types.Omitted: the same to us
        deciders = tuple(_as_type(d) for d in deciders)
        fun, jac, clip_norm, lr_schedule = (_as_type(a) for a in (fun, jac, clip_norm,
                                                                  lr_schedule))
        indices = possible_flavours(method, deciders)
        # only a rule's block (an array) can ask for the plateau rule; a name
        # can only be the bold driver
        clips, plateau = not _is_off(clip_norm), isinstance(lr_schedule, types.Array)
        hyper = dict(zip(hyper_names, map(_as_type, hyper)))
        bodies = kernel_bodies(method, hyper)
        omitted = frozenset(h for h, ty in hyper.items() if isinstance(ty, types.Omitted))
        run, call = _run(method, indices, fun, jac, clips, plateau, bodies)
        source = _TEMPLATE.format(signature=signature, setup_params=setup_params, run=call)
        scope_of = dict(scope, _setup=setup_for(plateau, omitted), _run=run, _finish=finish)
        return _numba_cache.built_once(_built, ("impl", method.name, indices, run, omitted),
                                       lambda: _compile(source, "impl", scope_of, method))

    entry = _python_entry(method, name, signature)
    typer = _compile(_TYPER.format(signature=signature, deciders="".join(
        f"{method.state[i].when}, " for i in optional), hyper="".join(
        f"{h}, " for h in hyper_names)), "typer", {"_impl_for": impl_for}, method)
    # prefer_literal: a boolean passed as a constant arrives as a literal
    overload(entry, inline="always", prefer_literal=True)(typer)
    entry.__doc__ = doc
    entry.result_type = result
    return entry


def _python_entry(method, name, signature):
    """The entry point as Python sees it: ``name(<signature>)``, which from
    Python runs the call in a small jitted function made for the arguments
    it was given (so an omitted one is omitted in the compiled call too)."""
    reference = _compile(f"def {name}({signature}):\n    pass\n", name, {}, method)
    shape = inspect.signature(reference)
    callers = {}

    def entry(*args, **kwargs):
        if _DISABLE_JIT:
            raise RuntimeError(f"adaopt.{name} needs Numba's JIT, and NUMBA_DISABLE_JIT=1 "
                               "is set; adaopt.minimize runs without it")
        given = shape.bind(*args, **kwargs).arguments
        passed = tuple(given)
        caller = _numba_cache.built_once(callers, passed, lambda: numba.njit(_compile(
            _FROM_PYTHON.format(params=", ".join(passed),
                                arguments=", ".join(f"{p}={p}" for p in passed)),
            "from_python", {"_entry": entry}, method)))
        return caller(*given.values())

    entry.__name__ = entry.__qualname__ = name
    entry.__module__ = "adaopt"
    entry.__signature__ = shape
    return entry


_RMSPROP_NJIT_DOC = r"""Minimize ``fun`` with RMSprop from inside Numba-compiled code.

The loop of :func:`adaopt.minimize`'s compiled driver as a function
that ``@numba.njit`` code can call (in the spirit of
``quantecon.optimize``), e.g. to fit thousands of small models in one
compiled loop.  Options, defaults, stopping tests and statuses are
those of :func:`adaopt.minimize` (see :mod:`adaopt._iteration` for their
order); the update is :class:`adaopt.RMSprop`'s.
For the same inputs it returns what ``adaopt.minimize`` returns.

It is inlined into its caller, so a caller decorated with
``@njit(cache=True)`` is cached together with the optimization.  With a
jitted ``fun`` it calls the driver :func:`adaopt.minimize` compiles for
that objective, from the same disk cache (when the hyperparameters other
than ``lr`` are left at their defaults or passed as constants; else one
whose kernel carries both bodies, with the same bits).  It can be called from Python
too, to try a call out: it then compiles a small caller of its own.

Parameters
----------
fun : numba dispatcher
    ``fun(x, *args) -> float``; with ``jac`` None, ``-> (float, gradient)``.
x0 : ndarray
    1-D float32 or float64 start, not modified; the run keeps its dtype.
    An integer ``x0`` runs in float64, as :func:`adaopt.minimize` runs it.
args : tuple, default ()
    Extra arguments of ``fun`` and ``jac``.
jac : numba dispatcher, optional
    ``jac(x, *args) -> gradient``, a 1-D array of ``len(x0)``.
lower, upper : ndarray or float, optional
    Bounds; ``x0`` is clipped into the box and every iterate projected
    onto it, :math:`x \leftarrow \min(\max(x, l), u)`.
lr, rho, eps, momentum, nesterov, centered : optional
    As for :class:`adaopt.RMSprop`, but ``momentum`` defaults to 0.9
    (:func:`adaopt.minimize`'s policy); ``lr`` is the first step's rate.
weight_decay, decoupled_weight_decay, maximize : optional
    As for :class:`adaopt.RMSprop`.
eps_in_sqrt, bias_correction, initial_scale : optional
    As for :class:`adaopt.RMSprop`.
clip_value, clip_norm : float, optional
    Gradient clipping, as for :class:`adaopt.RMSprop`; None (the default)
    or ``inf`` is off (inside compiled code a float argument cannot be None
    at run time, so ``inf`` says "off" there).
maxiter : int, default 10000
maxfev : int, optional
gtol : float, default 1e-5
    :math:`\lVert g_k\rVert_\infty \le \mathrm{gtol}` stops the run,
    :math:`g_k` projected on the bounds as in :func:`adaopt.minimize`.
ftol, xtol : float, default 0 (off)
    :math:`|f_{k-1} - f_k| \le \mathrm{ftol}\max(|f_{k-1}|, |f_k|, 1)`,
    :math:`\lVert x_k - x_{k-1}\rVert_\infty \le \mathrm{xtol}`.
lr_schedule : 'bold_driver', None or ndarray, default 'bold_driver'
    The learning-rate rule, as ``minimize``'s option of that name: the
    default :class:`adaopt.schedules.bold_driver` (:func:`adaopt.minimize`'s
    default policy), None for the constant ``lr``, or another rule's
    ``block()`` (e.g. ``adaopt.schedules.plateau(patience=20).block()``,
    made outside the compiled code).  A schedule ``t -> lr`` is Python
    code and cannot be called here.

Returns
-------
RMSpropResult
    Named tuple ``(x, fun, jac, nit, nfev, njev, status, success)``;
    ``status`` is a code of :mod:`adaopt.status`.  After a non-finite
    ``f`` or ``g``, ``x`` is the last iterate where both were finite.

Raises
------
ValueError
    For an option out of range, an ``lr_schedule`` that is not one of its
    three forms, bounds of the wrong length or with
    ``lower > upper``, or a gradient of the wrong length (a column
    ``(n, 1)`` or row ``(1, n)`` is read as the 1-D gradient).
numba.core.errors.TypingError
    While Numba compiles the calling function, with one line of its
    message marked ``adaopt``, for a gradient that is not a real array (e.g. complex),
    an ``f`` that is not real, or an ``x0`` that is not a 1-D float or
    integer array: inside ``@njit`` code nothing else can refuse them.
RuntimeError
    Under ``NUMBA_DISABLE_JIT=1``, where it cannot run
    (:func:`adaopt.minimize` can).

Examples
--------
Three one-parameter least-squares fits in one compiled loop:

>>> import numba, numpy as np
>>> from adaopt import rmsprop_njit
>>> @numba.njit
... def sq(x, c):
...     return ((x - c) ** 2).sum(), 2.0 * (x - c)
>>> @numba.njit
... def fit_all(cs):
...     out = np.empty(cs.shape[0])
...     for i in range(cs.shape[0]):
...         r = rmsprop_njit(sq, np.zeros(1), (cs[i],), lr=0.01, maxiter=2000)
...         out[i] = r.x[0]
...     return out
>>> fit_all(np.array([1.0, -2.0, 3.5])).round(2)
array([ 1. , -2. ,  3.5])
"""

_METHOD_NJIT_DOC = r"""Minimize ``fun`` with {title} from inside Numba-compiled code.

As :func:`adaopt.rmsprop_njit`, with the hyperparameters of
:class:`adaopt.{title}` ({options}, and ``lr_schedule``).  For the same
inputs it returns what ``adaopt.minimize(..., method='{name}')`` returns.
The example of :func:`adaopt.rmsprop_njit` runs as it is with
``{name}_njit`` in its place.
"""


def entry_doc(method):
    """The docstring of a method's njit entry point (RMSprop's is written out)."""
    if method.name == "rmsprop":
        return _RMSPROP_NJIT_DOC
    options = ", ".join(h.name for h in method.hyperparameters
                        if h.in_minimize and not h.fixed)
    return _METHOD_NJIT_DOC.format(title=method.title, name=method.name,
                                   options=f"``{options}``")


#: The njit entry point of every method ``minimize`` knows, by its name
#: (``adaopt.rmsprop_njit``, ``adaopt.adam_njit``, ...).
NJIT_ENTRIES = {f"{name}_njit": make_njit_entry(m, entry_doc(m))
                for name, m in METHODS.items()}
globals().update(NJIT_ENTRIES)

__all__ = ["make_njit_entry", "possible_flavours", "kernel_bodies", "entry_doc",
           "NJIT_ENTRIES",
           *NJIT_ENTRIES]

