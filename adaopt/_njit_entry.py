r"""The njit entry point: a method's whole run as a function for users' ``@njit`` code.

:func:`make_njit_entry` writes, for one method description, the function
``<method>_njit(fun, x0, args=(), jac=None, lower=None, upper=None,
<hyperparameters>, maxiter, maxfev, gtol, ftol, xtol)``: its defaults are the
description's and ``minimize``'s own, its checks are the description's
rendered in nopython form (:meth:`adaopt._method.Method.nopython_checks`),
and it runs the compiled loop of :mod:`adaopt._compiled_loop` on the work
arrays of :mod:`adaopt._workspace`, filled by the same functions as every
other front end.

Its flavour (which state arrays are in use) is decided by the
hyperparameters the description's state arrays name (``when``).  Those whose
values are known while Numba compiles the call (a boolean, left at its
default or passed as a constant, arrives as a literal) fix their arrays:
only the flavours the others can still choose are compiled (each about 2 s),
and called through a run-time choice when more than one is left.  A float has
no literal type, and Numba's inliner puts a default into the caller as a
constant of its type (and a call from Python types it as its value's type),
so ``momentum`` left at its default still leaves both flavours.  Types decide
two more things: ``clip_norm`` None, its default, is off, and the call links
no clip-norm kernel (about 1 s); and only a rule's block can name the
plateau rule (``lr_schedule``), whose code (about 1 s) a name or None leaves
out.
"""

import collections
import linecache

import numba
import numpy as np
from numba import types
from numba.extending import overload

from . import _feedback, status
from ._compiled_loop import iterate
from ._iteration import called_advance
from ._problem import METHODS, option_defaults
from ._workspace import (CTL_SIZE, Ctl, Row, check_box, copy_into, fill_control,
                         fill_workspace, iteration_limit_from_maxfev, workspace_rows)


#: Numba's JIT switched off (NUMBA_DISABLE_JIT=1): the entry point cannot run.
_DISABLE_JIT = bool(numba.config.DISABLE_JIT)

_NO_LRS = np.empty(0, dtype=np.float64)
_fill_workspace = numba.njit(fill_workspace, inline="always")
_fill_control = numba.njit(fill_control, inline="always")
_workspace_rows = numba.njit(workspace_rows, inline="always")
_succeeded = numba.njit(status.succeeded, inline="always")
_maxfev_limit = numba.njit(iteration_limit_from_maxfev, inline="always")


def _is_off(ty):
    """Whether an optional argument of Numba type ``ty`` is None while the
    call compiles (passed as None, or left at its default None)."""
    return isinstance(ty, (types.NoneType, types.Omitted))


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


def _rules(lr_schedule):
    """The compiled rules (:func:`adaopt._feedback.compiled_rule`) for an
    ``lr_schedule`` of this Numba type: only a rule's block (an array) can
    ask for the plateau rule; a name can only be the bold driver."""
    return _feedback.compiled_rule(isinstance(lr_schedule, types.Array))


def _fill_rule(lr_schedule, ctl, block, lr, sign):  # pragma: no cover - the overload
    """:func:`adaopt._feedback.fill_rule` of the build ``lr_schedule`` needs."""


@overload(_fill_rule, inline="always")
def _fill_rule_overload(lr_schedule, ctl, block, lr, sign):
    fill = _rules(lr_schedule)[0]

    def impl(lr_schedule, ctl, block, lr, sign):
        fill(ctl, block, lr, sign)
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


_TEMPLATE = """\
def {name}(fun, x0, args=(), jac=None, lower=None, upper=None, {hyper}, {limits},
        lr_schedule={rule_name!r}):
    if _DISABLE_JIT:
        # Under NUMBA_DISABLE_JIT=1 this runs as Python, where the overloads
        # it is built from do not exist: say so instead of failing obscurely
        # (a constant False when compiled: the test costs nothing).
        raise RuntimeError("adaopt.{name} needs Numba's JIT, and NUMBA_DISABLE_JIT=1 "
                           "is set; adaopt.minimize runs without it")
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
    rule = _rule_block(lr_schedule, _DEFAULT_RULE)
    if rule.shape[0] > 0 and rule[0] != _CONSTANT:     # rule[0]: its kind
        _fill_rule(lr_schedule, ctl, rule, cfg[0], -1.0 if maximize else 1.0)
        ctl[Ctl.PREPARE] = 1.0
    g = np.zeros(n, dtype=x0.dtype)
    counts = np.zeros(2, dtype=np.int64)
    code = _iterate_flavours({deciders}clip_norm, lr_schedule, fun, jac, W, g, hp, cfg, ctl,
                             counts, args)
    if code == status.NONFINITE:
        copy_into(g, W[Row.GPREV])
    return _Result(W[Row.X].copy(), ctl[Ctl.F], g, int(ctl[Ctl.K]), counts[0],
                   counts[1], code, _succeeded(code))
"""

_ADVANCE_ANY = """\
def advance_any(W, g, hp, ctl):
    flavour = ctl[Ctl.FLAVOUR]
{branches}
"""

_ITERATE_FLAVOURS = """\
def iterate_flavours({deciders}clip_norm, lr_schedule, fun, jac, W, g, hp, cfg, ctl, counts,
                     args):
    pass    # replaced by the overload

def typer({deciders}clip_norm, lr_schedule, fun, jac, W, g, hp, cfg, ctl, counts, args):
    advance = _choose(({deciders}))
    prepare = _preparation(clip_norm)
    next_rate = _rules(lr_schedule)[1]
    def impl({deciders}clip_norm, lr_schedule, fun, jac, W, g, hp, cfg, ctl, counts, args):
        return iterate(fun, jac, advance, prepare, next_rate, W, g, hp, cfg, ctl, counts,
                       args, _NO_LRS, inf)
    return impl
"""


def _advance_any(method, indices):
    """``advance`` of the flavour ``ctl[FLAVOUR]`` names among ``indices``
    (of ``method.flavours``), chosen at run time."""
    scope = {"Ctl": Ctl}
    lines = []
    for i in indices:
        scope[f"_advance_{i}"] = called_advance(method, method.flavours[i])
        lines.append(f"    if flavour == {float(i)!r}:\n"
                     f"        return _advance_{i}(W, g, hp, ctl)")
    lines.append("    return -2")     # never: the flavour is one of indices
    return numba.njit(_compile(_ADVANCE_ANY.format(branches="\n".join(lines)),
                               "advance_any", scope, method), inline="always")


def _deciders(method):
    """The hyperparameters that decide the flavour, as source: ``'centered, momentum, '``."""
    return "".join(f"{s.when}, " for s in method.state if not s.always)


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


def _iterate_flavours(method):
    """``iterate_flavours(<deciders>, clip_norm, lr_schedule, fun, jac, W, g, ...)``: the
    compiled loop with the iteration of the flavours the deciders' types
    leave possible (:func:`possible_flavours`): one called directly, or
    several chosen at run time by ``ctl[FLAVOUR]``; and the preparation of
    a step without the clip-norm kernel when ``clip_norm`` is None there,
    the rules without the plateau rule unless ``lr_schedule`` is a block.
    """
    built = {}

    def choose(deciders):
        indices = possible_flavours(method, deciders)
        if indices not in built:
            built[indices] = (called_advance(method, method.flavours[indices[0]])
                              if len(indices) == 1 else _advance_any(method, indices))
        return built[indices]

    def preparation(clip_norm):
        # a clip_norm that is None here links no clip-norm kernel
        return method.step_scalars_inline(clips=not _is_off(clip_norm))

    scope = {"_choose": choose, "_preparation": preparation, "_rules": _rules,
             "iterate": iterate, "inf": np.inf, "_NO_LRS": _NO_LRS}
    _compile(_ITERATE_FLAVOURS.format(deciders=_deciders(method)), "iterate_flavours", scope, method)
    # prefer_literal: inlined into its caller, the entry point's defaults are
    # constants there, so a boolean left at its default arrives as a literal
    overload(scope["iterate_flavours"], inline="always",
             prefer_literal=True)(scope["typer"])
    return scope["iterate_flavours"]


def _compile(source, name, scope, method):
    """Define ``name`` from ``source``, with the source kept for tracebacks."""
    filename = f"<adaopt {method.name} {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), scope)
    return scope[name]


def make_njit_entry(method, doc):
    """The njit entry point of ``method`` (see the module docstring)."""
    name = f"{method.name}_njit"
    limits = {k: v for k, v in option_defaults(method).items()
              if k in ("maxiter", "maxfev", "gtol", "ftol", "xtol")}
    hyper = [h for h in method.hyperparameters if h.in_minimize and not h.fixed]
    optional = [i for i, s in enumerate(method.state) if not s.always]
    # the flavour's index in method.flavours (itertools.product order)
    flavour = [f"    flavour = flavour * 2 + (1 if uses[{i}] else 0)" for i in optional]
    initial = []
    for i, s in enumerate(method.state):
        value = (f"cfg[{method.Cfg[s.initial.upper()].value}]"
                 if isinstance(s.initial, str) else repr(float(s.initial)))
        initial.append(f"    if uses[{i}]:\n        initial[j] = {value}\n        j += 1")
    source = _TEMPLATE.format(
        name=name, hyper=", ".join(f"{h.name}={h.default_in_minimize!r}" for h in hyper),
        limits=", ".join(f"{k}={v!r}" for k, v in limits.items()),
        ncfg=len(method.Cfg), checks="\n".join(method.nopython_checks()),
        nstate=" + ".join(f"(1 if uses[{i}] else 0)" for i in range(len(method.state))),
        flavour="\n".join(flavour) or "    pass", initial="\n".join(initial),
        hp_size=method.hp_size, uses=method.uses_source(),
        deciders=_deciders(method), rule_name=_DEFAULT_RULE_NAME)
    result = collections.namedtuple(
        f"{method.title}Result",
        ["x", "fun", "jac", "nit", "nfev", "njev", "status", "success"])
    scope = dict(method.nopython_globals(), _DISABLE_JIT=_DISABLE_JIT, np=np,
                 status=status, Ctl=Ctl, Row=Row, CTL_SIZE=CTL_SIZE, _kfev=_kfev,
                 copy_into=copy_into,
                 _start=_start, _bound=_bound, _bounded=_bounded, _off_as_inf=_off_as_inf,
                 _fixed_scalars=method.fixed_scalars_inline(),
                 _per_step=method.per_step_inline(),
                 _iterate_flavours=_iterate_flavours(method), _fill_workspace=_fill_workspace,
                 _fill_control=_fill_control, _workspace_rows=_workspace_rows,
                 _succeeded=_succeeded, _Result=result, _rule_block=_rule_block,
                 _fill_rule=_fill_rule, _CONSTANT=_feedback.CONSTANT,
                 _DEFAULT_RULE=option_defaults(method)["lr_schedule"].block(),
                 inf=np.inf)
    func = _compile(source, name, scope, method)
    func.__doc__ = doc
    func.__module__ = "adaopt"
    func.result_type = result
    return numba.njit(func, inline="always")


_RMSPROP_NJIT_DOC = r"""Minimize ``fun`` with RMSprop from inside Numba-compiled code.

The loop of :func:`adaopt.minimize`'s compiled driver as a function
that ``@numba.njit`` code can call (in the spirit of
``quantecon.optimize``), e.g. to fit thousands of small models in one
compiled loop.  Options, defaults, stopping tests and statuses are
those of :func:`adaopt.minimize` (see :mod:`adaopt._iteration` for their
order); the update is :class:`adaopt.RMSprop`'s.
For the same inputs it returns what ``adaopt.minimize`` returns.

It is inlined into its caller, so a caller decorated with
``@njit(cache=True)`` is cached together with the optimization.

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

__all__ = ["make_njit_entry", "possible_flavours", "entry_doc", "NJIT_ENTRIES",
           *NJIT_ENTRIES]

