r"""What a method is: the one description every front end takes a method through.

A :class:`Method` holds everything that differs from one adaptive method to
the next, and nothing else:

* its hyperparameters (:class:`Hyperparameter`): the *only* defaults and the
  *only* validation, rendered for Python (:meth:`Method.check`) and for
  nopython code (:meth:`Method.nopython_checks`, used by the njit entry
  point) from the same table;
* its per-element state arrays (:class:`StateArray`): their names, which of
  them a configuration uses, and how they start;
* the preparation of the scalars its kernel reads, written once in nopython
  form (compiled for every per-step call; ``fixed_scalars``, run once per
  run, also runs as NumPy code from Python): ``fixed_scalars(hp, cfg)`` fills the whole ``hp`` table from the
  settings, ``step_scalars(hp, cfg, g, lr, t)`` sets what changes from step
  to step (``hp[LR_SLOT] = lr`` first, then bias corrections, the clip
  scale, ...), and ``per_step(cfg)`` says whether the latter sets more than
  the rate;
* its kernel flavours: ``kernel(flavour, parallel)``, one compiled loop per
  combination of state arrays in use.

The settings ``cfg`` are the hyperparameters as one float64 array, one slot
each in the order of the table (:attr:`Method.Cfg` names the slots: an
``IntEnum`` Numba reads as constants).  Booleans are 0/1, a choice its
index, an optional value switched off (``None``) is ``inf``.

The optimizer object, both ``minimize`` drivers, ``multistart`` and the njit
entry point call these same functions (compiled with Numba: cached on disk
for calls from Python, inlined into the compiled loops), so a method's rule
cannot drift between front ends.
"""

import dataclasses
import enum
import itertools
import math
from typing import Any, Callable, Optional

import numba
import numpy as np
from numba.extending import overload

from . import _numba_cache, kernels
from ._numba_cache import rebind
from .kernels import Frame
from ._validation import check_bool, check_choice, check_real

__all__ = ["Hyperparameter", "Requirement", "StateArray", "Method", "FINITE",
           "COMMON_OPTIONS", "fill_frame"]


class _SameDefault:
    """The marker of a hyperparameter whose ``minimize`` default is its default."""

    def __repr__(self):
        return "SAME_DEFAULT"


SAME_DEFAULT = _SameDefault()


@dataclasses.dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: its name, its default and its range.

    ``kind`` is ``'real'`` (a float in ``[low, high]``, each end open or
    closed; NaN never), ``'pair'`` (a pair of such reals, PyTorch's
    ``betas``; ``components`` names their slots), ``'bool'`` or ``'choice'``
    (one of ``choices``).  An ``optional`` real may be ``None``: switched
    off, ``inf`` in the settings.
    ``in_minimize`` False keeps it out of ``minimize``'s options and the njit
    entry point (which run with its default); ``minimize_default``, where
    given, is the default of those two front ends (``minimize``'s policy,
    which may differ from PyTorch's default that the optimizer object keeps:
    docs/guide/minimize.rst says why); ``fixed`` True keeps it out of
    every front end: a setting the method always has at its default (AdamW's
    ``decoupled_weight_decay``), so that related methods share one
    preparation.
    """

    name: str
    default: Any
    kind: str = "real"
    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False
    choices: tuple = ()
    in_minimize: bool = True
    components: tuple = ()
    fixed: bool = False
    minimize_default: Any = SAME_DEFAULT

    @property
    def default_in_minimize(self):
        """The default of ``minimize`` and the njit entry point."""
        return self.default if self.minimize_default is SAME_DEFAULT else self.minimize_default

    @property
    def slots(self):
        """Names of this hyperparameter's slots in the settings (one, or one
        per component of a pair)."""
        return self.components if self.kind == "pair" else (self.name,)

    def _check_real(self, name, value):
        return check_real(name, value, low=self.low, high=self.high,
                          low_open=self.low_open, high_open=self.high_open,
                          allow_none=self.optional)

    def check(self, value):
        """``value`` checked (a float, bool or choice); raises naming the parameter."""
        if self.kind == "bool":
            return check_bool(self.name, value)
        if self.kind == "choice":
            return check_choice(self.name, value, self.choices)
        if self.kind == "pair":
            try:
                first, second = value
            except (TypeError, ValueError):
                raise TypeError(f"{self.name} must be a pair of real numbers, got "
                                f"{value!r}") from None
            return (self._check_real(f"{self.name}[0]", first),
                    self._check_real(f"{self.name}[1]", second))
        return self._check_real(self.name, value)

    def encode(self, value):
        """The checked ``value`` as its float64 slots of the settings (a list)."""
        if self.kind == "bool":
            return [1.0 if value else 0.0]
        if self.kind == "choice":
            return [float(self.choices.index(value))]
        if self.kind == "pair":
            return [float(v) for v in value]
        return [math.inf if value is None else float(value)]

    def range_text(self):
        """The range in words, for the nopython check's message."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low!r}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high!r}")
        return " and ".join(parts)


#: The range of most hyperparameters: a real below infinity (with ``low``).
FINITE = dict(high=math.inf, high_open=True)

#: The options every method has besides its own, at the end of its table:
#: ``clip_value`` and ``clip_norm`` (off when None) and the object's policy
#: for non-finite elements (minimize always stops at a non-finite value).
COMMON_OPTIONS = (
    Hyperparameter("clip_value", None, low=0.0, low_open=True, optional=True, **FINITE),
    Hyperparameter("clip_norm", None, low=0.0, low_open=True, optional=True, **FINITE),
    Hyperparameter("nonfinite", "raise", "choice",
                   choices=("raise", "skip", "propagate"), in_minimize=False),
)


#: ``nonfinite='propagate'`` in the settings (its index among the choices).
_PROPAGATE = float(COMMON_OPTIONS[2].choices.index("propagate"))


def fill_frame(hp, maximize, clip_value, coupled_weight_decay, nonfinite):
    """Zero ``hp`` and fill the frame's fixed slots (:class:`adaopt.kernels.Frame`).

    Every method's ``fixed_scalars`` starts with this, from its settings:
    ``maximize`` (0/1), ``clip_value`` (inf when off), the weight decay the
    gradient takes (0 when it is decoupled or off) and ``nonfinite`` (the
    choice's index).  The per-step slots (``LR``, ``LR_WD``, ``SCALE``) are
    the method's ``step_scalars``'.  Runs as NumPy code from Python and
    compiles unchanged into nopython callers (the njit entry point).
    """
    hp[:] = 0.0
    hp[Frame.SIGN] = -1.0 if maximize != 0.0 else 1.0
    hp[Frame.CLIP] = clip_value
    hp[Frame.SCALE] = 1.0
    hp[Frame.WD] = coupled_weight_decay
    hp[Frame.PROPAGATE] = 1.0 if nonfinite == _PROPAGATE else 0.0
    hp[Frame.ONE] = 1.0


# nopython code calling fill_frame compiles the same source
@overload(fill_frame)
def _fill_frame_nopython(hp, maximize, clip_value, coupled_weight_decay, nonfinite):
    return fill_frame


@dataclasses.dataclass(frozen=True)
class Requirement:
    """A rule across hyperparameters: ``test(**values) -> bool`` must hold.

    ``test`` is written in nopython form (the njit entry point compiles
    it); ``message`` is the error, ``detail`` an optional format string of
    the values appended in Python (``", got momentum={momentum!r}"``).
    """

    names: tuple
    test: Callable
    message: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class StateArray:
    """A per-element state array: its name, when it is in use, its start.

    ``when`` names the hyperparameter that puts the array in use when it is
    set (True, or a number other than 0: ``centered``, ``momentum > 0``);
    None means every configuration uses it.  Declared rather than computed,
    so that the njit entry point can see, while compiling, which arrays a
    call with default arguments uses.  ``initial`` is a number or the name
    of the hyperparameter whose value it starts at; ``nonnegative`` that a
    loaded checkpoint's values must be ``>= 0`` (a sum of squares).
    """

    name: str
    initial: Any = 0.0
    when: Optional[str] = None
    nonnegative: bool = False

    @property
    def always(self):
        """Whether every configuration uses this array."""
        return self.when is None


def _never(cfg):
    return False


#: The compiled pieces of every method, by ``(engine, what)``.
_BUILT = {}


class Method:
    """The description of one adaptive method (see the module docstring).

    Parameters
    ----------
    name : str
        The ``method`` string of :func:`adaopt.minimize` (lower case).
    title : str
        The optimizer class's name (``'RMSprop'``), also in checkpoints.
    hyperparameters : tuple of Hyperparameter
        ``lr`` first (every method has a learning rate, slot 0 of ``cfg``).
    requirements : tuple of Requirement
    state : tuple of StateArray
    fixed_scalars, step_scalars, per_step : callable
        The preparation of the kernel's scalars, in nopython form (module
        docstring).  ``step_scalars`` calls the clip-norm rule by the
        global name ``clip_scale``, which :meth:`step_scalars_build` binds
        to the serial or the parallel build.
    hp_size : int
        Length of the kernel's scalar table.
    kernel : callable
        ``kernel(flavour, parallel) -> dispatcher`` of
        ``loop(theta, grad, S, hp) -> bool`` (skipped a non-finite element),
        ``S`` the state arrays in use as rows of one 2-D array.
    engine : str, optional
        The name under which the compiled iteration and drivers are built
        and cached: that of another method with the same settings' slots,
        preparation and kernels (AdamW shares Adam's), else ``name``.
    plain_varies : callable, optional
        ``plain_varies(cfg) -> bool``: whether ``step_scalars`` puts into a
        slot that the kernel's ``is_plain`` tests a value other than the
        fixed table's (RMSprop's bias correction, Adam's ``eps_root``), so
        that the fixed table does not tell which body the steps take;
        never when omitted (:meth:`kernel_bodies`).
    """

    def __init__(self, *, name, title, hyperparameters, requirements, state,
                 fixed_scalars, step_scalars, per_step, hp_size, kernel,
                 engine=None, plain_varies=None):
        if hyperparameters[0].name != "lr":
            raise ValueError("a method's first hyperparameter is lr")
        self.name = name
        self.engine = engine or name
        self.title = title
        self.hyperparameters = tuple(hyperparameters)
        self.requirements = tuple(requirements)
        self.state = tuple(state)
        self.hp_size = hp_size
        self._fixed_scalars = fixed_scalars
        self._step_scalars = step_scalars
        self._per_step = per_step
        self._kernel = kernel
        self._plain_varies = plain_varies or _never
        slots = [name.upper() for h in hyperparameters for name in h.slots]
        self.Cfg = enum.IntEnum(f"{title}Settings", [(n, i) for i, n in enumerate(slots)])
        names = {h.name for h in self.hyperparameters}
        for array in self.state:
            if array.when is not None and array.when not in names:
                raise ValueError(f"state {array.name}: when={array.when!r} "
                                 f"is no hyperparameter")

    # -- hyperparameters -------------------------------------------------------

    @property
    def defaults(self):
        """``name -> default`` of every hyperparameter a user may set, ``lr`` included."""
        return {h.name: h.default for h in self.hyperparameters if not h.fixed}

    @property
    def minimize_defaults(self):
        """The hyperparameters that are options of ``minimize``, with their defaults."""
        return {h.name: h.default_in_minimize for h in self.hyperparameters
                if h.in_minimize and not h.fixed}

    @property
    def object_defaults_in_minimize(self):
        """``{name: default}``: the optimizer object's (PyTorch's) defaults of
        the hyperparameters whose ``minimize`` default differs (its policy);
        passed as options, they undo the policy's hyperparameters."""
        return {h.name: h.default for h in self.hyperparameters
                if h.in_minimize and not h.fixed and h.default_in_minimize != h.default}

    def check(self, given):
        """Return every hyperparameter checked, ``given`` over the defaults.

        Raises ``TypeError`` for an unknown name, ``TypeError``/``ValueError``
        naming the first bad value or the broken requirement.
        """
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise TypeError(f"{self.title} got unexpected hyperparameters {unknown}")
        out = {h.name: h.check(given.get(h.name, h.default))
               for h in self.hyperparameters}
        for rule in self.requirements:
            values = {name: out[name] for name in rule.names}
            if not rule.test(**values):
                raise ValueError(rule.message + rule.detail.format(**values))
        return out

    def settings(self, hyper):
        """The checked ``hyper`` as the float64 settings array ``cfg``."""
        return np.array([v for h in self.hyperparameters for v in h.encode(hyper[h.name])],
                        dtype=np.float64)

    def nopython_checks(self, indent="    ", omitted=()):
        """Source lines that check and encode the hyperparameters in nopython code.

        For the njit entry point: each ``in_minimize`` hyperparameter is a
        local variable of its own name; the lines raise ``ValueError``
        naming it, then fill ``cfg`` (a local float64 array).  An optional
        one may be ``None`` or ``inf`` there (off: a float argument cannot
        be None at run time).  Hyperparameters outside ``minimize`` get their
        default's encoding, and so do those named in ``omitted`` (left out
        of the call being compiled: their value is minimize's default, which
        needs no check, so the compiled code has none).
        """
        lines = []
        for h in self.hyperparameters:
            i = self.Cfg[h.slots[0].upper()].value
            if h.fixed or not h.in_minimize or h.name in omitted:
                value = h.default_in_minimize if h.name in omitted else h.default
                lines += [f"cfg[{i + k}] = {v!r}" for k, v in enumerate(h.encode(value))]
                continue
            if h.kind == "bool":
                lines.append(f"cfg[{i}] = 1.0 if {h.name} else 0.0")
                continue
            if h.kind not in ("real", "pair"):
                raise ValueError(f"{h.name}: a choice has no nopython form")
            values = ([f"np.float64({h.name}[{k}])" for k in range(2)] if h.kind == "pair"
                      else [f"_off_as_inf({h.name})" if h.optional
                            else f"np.float64({h.name})"])
            for k, value in enumerate(values):
                slot = i + k
                lines.append(f"cfg[{slot}] = {value}")
                tests = []
                if h.low is not None:
                    tests.append(f"cfg[{slot}] {'>' if h.low_open else '>='} {h.low!r}")
                if h.high is not None and not h.optional:
                    tests.append(f"cfg[{slot}] {'<' if h.high_open else '<='} {h.high!r}")
                tests.append(f"cfg[{slot}] == cfg[{slot}]")     # not NaN
                name = f"{h.name}[{k}]" if h.kind == "pair" else h.name
                text = h.range_text() + (" (None or inf: off)" if h.optional else "")
                lines.append(f"if not ({' and '.join(tests)}):")
                lines.append(f"    raise ValueError({(name + ' must be ' + text)!r})")
        for j, rule in enumerate(self.requirements):
            lines.append(f"if not _requirement_{j}({', '.join(rule.names)}):")
            lines.append(f"    raise ValueError({rule.message!r})")
        return [indent + line for line in lines]

    def nopython_globals(self):
        """What :meth:`nopython_checks`' lines call, by name."""
        scope = {f"_requirement_{j}": numba.njit(rule.test, inline="always")
                 for j, rule in enumerate(self.requirements)}
        scope["np"] = np
        return scope

    # -- state -------------------------------------------------------------------

    @property
    def state_names(self):
        """Names of every state array, in order."""
        return tuple(s.name for s in self.state)

    def flavour(self, cfg):
        """Which state arrays ``cfg`` uses: a tuple of bools (the kernel flavour)."""
        return tuple(s.always or bool(cfg[self.Cfg[s.when.upper()]] != 0.0)
                     for s in self.state)

    def uses_source(self, cfg="cfg"):
        """:meth:`flavour` as a source expression for nopython code."""
        return "(" + "".join(
            "True, " if s.always else f"{cfg}[{self.Cfg[s.when.upper()].value}] != 0.0, "
            for s in self.state) + ")"

    @property
    def flavours(self):
        """Every flavour, each optional state array on or off."""
        choices = [(True,) if s.always else (False, True) for s in self.state]
        return tuple(itertools.product(*choices))

    def state_rows(self, flavour):
        """Names of the state arrays in use, in the order of their rows in ``S``."""
        return tuple(s.name for s, used in zip(self.state, flavour) if used)

    def initial_state(self, cfg, flavour):
        """Starting value of each state row in use, a float64 array."""
        return np.array([cfg[self.Cfg[s.initial.upper()]] if isinstance(s.initial, str)
                         else float(s.initial)
                         for s, used in zip(self.state, flavour) if used])

    # -- compiled pieces ------------------------------------------------------

    def _build(self, key, make):
        # shared by the methods of one engine (Adam and AdamW compile once)
        return _numba_cache.built_once(_BUILT, (self.engine, key), make)

    def fixed_scalars(self, hp, cfg):
        """Fill the whole ``hp`` table from ``cfg``.

        Called from Python the nopython-form function runs as NumPy code
        (once per run or optimizer: nothing to compile); the njit entry
        point inlines the compiled build of the same source.
        """
        self._fixed_scalars(hp, cfg)

    def fixed_scalars_inline(self):
        return self._build("fixed-inline", lambda: numba.njit(
            self._fixed_scalars, inline="always"))

    def per_step(self, cfg):
        """Whether :meth:`step_scalars_build` sets more than the rate (Python)."""
        return bool(self._per_step(cfg))

    def per_step_inline(self):
        return self._build("per-step-inline", lambda: numba.njit(
            self._per_step, inline="always"))

    def step_scalars_build(self, parallel, clips=True):
        """``step_scalars(hp, cfg, g, lr, t)`` compiled for calls from Python.

        The parallel build sums the clip norm with the parallel kernel (start
        it through :func:`adaopt._threading.run_kernel`); both give the
        same bits.  ``clips=False`` (:meth:`clips_norm` of the run's
        ``cfg``) builds it without the clip norm, which it then refuses
        (:data:`adaopt.kernels.no_clip_scale`); ``parallel`` changes
        nothing there.
        """
        if not clips:
            return self._build(("step", "noclip"), lambda: _numba_cache.njit_cached(
                rebind(self._step_scalars, "_noclip", clip_scale=kernels.no_clip_scale),
                nogil=True, error_model="numpy"))
        clip = kernels.clip_scale_parallel if parallel else kernels.clip_scale_serial
        suffix = "_parallel" if parallel else "_serial"
        return self._build(("step", parallel), lambda: _numba_cache.njit_cached(
            rebind(self._step_scalars, suffix, clip_scale=clip), nogil=True,
            error_model="numpy"))

    def clips_norm(self, cfg):
        """Whether the settings ``cfg`` clip the gradient's norm."""
        return bool(cfg[self.Cfg.CLIP_NORM] < math.inf)

    def step_scalars_inline(self, clips=True):
        """``step_scalars`` to inline into the compiled loops (serial clip norm).

        ``clips=False`` (a run that does not clip the norm, as
        :meth:`step_scalars_build`) links no clip-norm kernel into the
        compiled loop: about 1 s of a driver's first compile.
        """
        clip = kernels.clip_scale_serial if clips else kernels.no_clip_scale
        suffix = "_inline" if clips else "_inline_noclip"
        return self._build(("step-inline", bool(clips)), lambda: numba.njit(
            rebind(self._step_scalars, suffix, clip_scale=clip),
            inline="always", error_model="numpy"))

    def kernel(self, flavour, parallel, bodies="both"):
        """The compiled step loop of ``flavour`` (dispatcher, cached on disk).

        ``bodies`` is which of its bodies it carries (:data:`adaopt.kernels.BODIES`;
        a run's own is :meth:`kernel_bodies`).
        """
        return kernels.with_bodies(self._kernel(flavour, parallel), bodies)

    def kernel_bodies(self, cfg):
        """Which bodies of the step loop a run with the settings ``cfg`` needs.

        ``'plain'`` when every step's table is plain: the fixed table is,
        and neither ``clip_norm``'s factor nor what the method's
        ``plain_varies(cfg)`` names changes that at a step.  ``'both'`` for
        ``clip_norm``, whose factor is 1 for a gradient inside the ball and
        not outside (both bodies may run).  Else ``'general'``: an option
        on for the whole run, or a step scalar that leaves the table plain
        at few steps if any (the general body gives the plain body's bits
        where that applies, so it may run at every step).  The run gives
        the same bits with one body compiled instead of two; the plain
        build refuses a table that is not plain
        (:func:`adaopt.kernels.fused_step_loop`).  Decided on the float64
        table: a value neutral there is neutral in float32 too.
        """
        hp = np.empty(self.hp_size)
        self._fixed_scalars(hp, cfg)
        loop = self._kernel(self.flavour(cfg), False)
        if self._plain_varies(cfg) or not kernels.is_plain_at(loop, hp):
            return "general"
        return "both" if self.clips_norm(cfg) else "plain"

    def __repr__(self):
        return f"<adaopt method {self.name!r}>"
