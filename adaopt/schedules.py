r"""Learning-rate schedules: callables ``t -> lr`` for steps ``t = 1, 2, ...``.

Any callable taking the 1-based step number and returning a learning rate
works as ``lr_schedule``; the classes here are the usual ones, with a readable
repr and checked arguments.  They are stateless, so a checkpoint needs only
the step count.  :class:`ReduceLROnPlateau` is the one that listens to the
objective instead: a training loop calls its ``step(loss)``, as with
PyTorch's scheduler of that name.  :class:`bold_driver` and :class:`plateau`
are the *feedback rules* a ``minimize`` driver feeds with every value of the
objective (``options={'lr_schedule': ...}``; :mod:`adaopt._feedback`);
``bold_driver()`` is ``minimize``'s default.

>>> from adaopt import schedules
>>> s = schedules.linear_warmup(schedules.cosine_decay(0.1, decay_steps=100), 10)
>>> [round(s(t), 4) for t in (1, 10, 11, 110)]
[0.01, 0.1, 0.1, 0.0]
"""

import math
import numbers

import numpy as np

from . import _feedback, _plateau
from ._validation import check_bool, check_choice, check_real

__all__ = ["Schedule", "constant", "exponential_decay", "step_decay",
           "cosine_decay", "linear_warmup", "ReduceLROnPlateau", "FeedbackRule",
           "bold_driver", "plateau"]


def _check_steps(name, value):
    # numbers.Integral admits NumPy integers (np.int64 from an array of step
    # counts); bool is an Integral too, and never a step count.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} "
                        f"of type {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _lr(name, value):
    return check_real(name, value, low=0.0, high=math.inf, high_open=True)


class Schedule:
    """Base of the built-in schedules: a callable ``t -> lr`` with a repr."""

    def __call__(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class constant(Schedule):
    r"""Constant learning rate, :math:`\eta_t = \eta`."""

    def __init__(self, lr):
        self.lr = _lr("lr", lr)

    def __call__(self, t):
        return self.lr


class exponential_decay(Schedule):
    r"""Exponential decay, :math:`\eta_t = \eta\, r^{(t-1)/T}`.

    Parameters
    ----------
    lr : float
        Learning rate of step 1.
    decay_rate : float
        Factor :math:`r` per ``decay_steps`` steps, ``0 < r <= 1``.
    decay_steps : int, default 1
        :math:`T`.
    staircase : bool, default False
        Use :math:`\lfloor (t-1)/T \rfloor`, decaying in discrete jumps.
    """

    def __init__(self, lr, decay_rate, decay_steps=1, staircase=False):
        self.lr = _lr("lr", lr)
        self.decay_rate = check_real("decay_rate", decay_rate, low=0.0,
                                     low_open=True, high=1.0)
        self.decay_steps = _check_steps("decay_steps", decay_steps)
        self.staircase = check_bool("staircase", staircase)

    def __call__(self, t):
        p = (t - 1) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.lr * self.decay_rate ** p


class step_decay(Schedule):
    r"""Step decay (PyTorch's ``StepLR``), :math:`\eta_t = \eta\,
    \gamma^{\lfloor (t-1)/s \rfloor}`.

    Parameters
    ----------
    lr : float
        Learning rate of the first ``step_size`` steps.
    step_size : int
        :math:`s`, steps between decays.
    gamma : float, default 0.1
        Factor applied every ``step_size`` steps, ``0 < gamma <= 1``.
    """

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = _lr("lr", lr)
        self.step_size = _check_steps("step_size", step_size)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True, high=1.0)

    def __call__(self, t):
        return self.lr * self.gamma ** ((t - 1) // self.step_size)


class cosine_decay(Schedule):
    r"""Cosine decay, :math:`\eta_t = \eta\,\bigl(\alpha + (1-\alpha)\,
    \tfrac12 (1 + \cos(\pi \min(t-1, T)/T))\bigr)`.

    Parameters
    ----------
    lr : float
        Learning rate of step 1.
    decay_steps : int
        :math:`T`; after it the rate stays at :math:`\alpha\eta`.
    alpha : float, default 0
        Final fraction of ``lr``, ``0 <= alpha <= 1``.
    """

    def __init__(self, lr, decay_steps, alpha=0.0):
        self.lr = _lr("lr", lr)
        self.decay_steps = _check_steps("decay_steps", decay_steps)
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0)

    def __call__(self, t):
        frac = min(t - 1, self.decay_steps) / self.decay_steps
        cos = 0.5 * (1.0 + math.cos(math.pi * frac))
        return self.lr * (self.alpha + (1.0 - self.alpha) * cos)


class linear_warmup(Schedule):
    r"""Linear warmup in front of another schedule (or a constant rate).

    For :math:`t \le W` the rate rises linearly,
    :math:`\eta_t = \eta_0 + (\eta_* - \eta_0)\, t / W` with
    :math:`\eta_*` = ``after(1)``; from step :math:`W+1` on it is
    ``after(t - W)``, so the wrapped schedule starts where warmup ends.

    Parameters
    ----------
    after : callable or float
        The schedule that follows warmup, or a constant learning rate.
    warmup_steps : int
        :math:`W`.
    init_lr : float, default 0
        :math:`\eta_0`, the rate the ramp starts from (at ``t = 0``).
    """

    def __init__(self, after, warmup_steps, init_lr=0.0):
        if not callable(after):
            if isinstance(after, bool) or not isinstance(after, numbers.Real):
                raise TypeError("after must be a schedule (callable t -> lr) or a "
                                f"learning rate, got {after!r}")
            after = constant(after)
        self.after = after
        self.warmup_steps = _check_steps("warmup_steps", warmup_steps)
        self.init_lr = _lr("init_lr", init_lr)

    def __call__(self, t):
        if t <= self.warmup_steps:
            peak = self.after(1)
            return self.init_lr + (peak - self.init_lr) * t / self.warmup_steps
        return self.after(t - self.warmup_steps)


def _real(name, value):
    """``value`` as a float, NaN and infinities included (a metric, a best)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _plateau_setting(mode, factor, patience, threshold, threshold_mode, cooldown,
                     min_lr, eps):
    """The plateau rule's settings array (:class:`adaopt._plateau.Setting`), checked."""
    factor = check_real("factor", factor, low=0.0)
    if not factor < 1.0:
        raise ValueError(f"factor must be < 1.0, got {factor!r}")
    S = _plateau.Setting
    setting = np.empty(len(S))
    setting[S.MODE] = _plateau.MODES.index(check_choice("mode", mode, _plateau.MODES))
    setting[S.FACTOR] = factor
    setting[S.PATIENCE] = _check_count("patience", patience)
    setting[S.THRESHOLD] = check_real("threshold", threshold, low=0.0,
                                      high=math.inf, high_open=True)
    setting[S.THRESHOLD_MODE] = _plateau.THRESHOLD_MODES.index(
        check_choice("threshold_mode", threshold_mode, _plateau.THRESHOLD_MODES))
    setting[S.COOLDOWN] = _check_count("cooldown", cooldown)
    setting[S.MIN_LR] = check_real("min_lr", min_lr, low=0.0, high=math.inf,
                                   high_open=True)
    setting[S.EPS] = check_real("eps", eps, low=0.0, high=math.inf, high_open=True)
    return setting


def _plateau_repr(setting):
    """``(mode=..., ...)``: the plateau settings as keyword arguments."""
    S, value = _plateau.Setting, setting
    return (f"(mode={_plateau.MODES[int(value[S.MODE])]!r}, "
            f"factor={float(value[S.FACTOR])!r}, patience={int(value[S.PATIENCE])}, "
            f"threshold={float(value[S.THRESHOLD])!r}, threshold_mode="
            f"{_plateau.THRESHOLD_MODES[int(value[S.THRESHOLD_MODE])]!r}, "
            f"cooldown={int(value[S.COOLDOWN])}, min_lr={float(value[S.MIN_LR])!r}, "
            f"eps={float(value[S.EPS])!r})")


class ReduceLROnPlateau:
    r"""Lower an optimizer's learning rate when the loss stops improving.

    PyTorch's ``torch.optim.lr_scheduler.ReduceLROnPlateau``, same
    arguments, defaults and rule (:mod:`adaopt._plateau`): call
    :meth:`step` with the loss (or any metric) after each epoch or step.  A
    value is *better* than the best so far when (``mode='min'``)
    :math:`m < m^* (1 - \tau)` (``threshold_mode='rel'``) or
    :math:`m < m^* - \tau` (``'abs'``), the reverse for ``'max'``; after
    more than ``patience`` steps without a better one the rate becomes
    :math:`\max(\eta\,\gamma, \eta_{\min})` (``factor`` :math:`\gamma`,
    skipped when that changes it by ``eps`` or less), then ``cooldown``
    steps pass before bad steps count again.

    Parameters
    ----------
    optimizer : adaopt optimizer
        Any optimizer with a settable ``lr`` (one without ``lr_schedule``).
    mode : {'min', 'max'}, default 'min'
    factor : float, default 0.1
        :math:`0 \le \gamma < 1`.
    patience : int, default 10
    threshold : float, default 1e-4
    threshold_mode : {'rel', 'abs'}, default 'rel'
    cooldown : int, default 0
    min_lr : float, default 0
    eps : float, default 1e-8

    Examples
    --------
    >>> import numpy as np, adaopt
    >>> x = np.zeros(3)
    >>> opt = adaopt.RMSprop(x, lr=0.1)
    >>> plateau = adaopt.schedules.ReduceLROnPlateau(opt, patience=2)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     plateau.step(loss)
    >>> opt.lr, plateau.num_bad_epochs, plateau.best
    (0.010000000000000002, 0, 2.0)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if getattr(optimizer, "lr_schedule", None) is not None:
            raise ValueError("ReduceLROnPlateau sets the optimizer's lr, and this "
                             "optimizer takes it from its lr_schedule")
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have a learning rate lr, got {optimizer!r}")
        setting = _plateau_setting(mode, factor, patience, threshold, threshold_mode,
                                   cooldown, min_lr, eps)
        self.optimizer = optimizer
        self._setting = setting
        self._state = np.empty(len(_plateau.State))
        _plateau.initial_state(self._state, setting)

    def step(self, metric):
        """Take the loss ``metric`` of the latest step (or epoch) into account."""
        # NaN is a value too: never better, so a bad step (PyTorch's rule)
        metric = _real("metric", metric)
        self.optimizer.lr = _plateau.plateau_step(self._state, self._setting, metric,
                                                  float(self.optimizer.lr))

    @property
    def best(self):
        """The best metric so far."""
        return float(self._state[_plateau.State.BEST])

    @property
    def num_bad_epochs(self):
        """Steps since the last better one (cleared by a reduction and in a cooldown)."""
        return int(self._state[_plateau.State.NUM_BAD_EPOCHS])

    @property
    def cooldown_counter(self):
        """Steps of cooldown left."""
        return int(self._state[_plateau.State.COOLDOWN_COUNTER])

    @property
    def last_epoch(self):
        """Number of :meth:`step` calls so far."""
        return int(self._state[_plateau.State.LAST_EPOCH])

    def get_last_lr(self):
        """The optimizer's learning rate, as a list (PyTorch's form)."""
        return [float(self.optimizer.lr)]

    def state_dict(self):
        """The rule's state, to resume it with :meth:`load_state_dict`."""
        return {"best": self.best, "num_bad_epochs": self.num_bad_epochs,
                "cooldown_counter": self.cooldown_counter, "last_epoch": self.last_epoch}

    def load_state_dict(self, state):
        """Resume from :meth:`state_dict`'s ``state`` (checked before anything changes)."""
        values = [_real("best", state["best"])]
        values += [_check_count(key, state[key])
                   for key in ("num_bad_epochs", "cooldown_counter", "last_epoch")]
        self._state[:] = values

    def __repr__(self):
        return "ReduceLROnPlateau" + _plateau_repr(self._setting)


class FeedbackRule:
    """Base of the rules that set ``minimize``'s learning rate from ``f``.

    A driver of :func:`adaopt.minimize` (either loop, ``multistart``, the
    njit entry point) runs the rule compiled, fed with every value of the
    objective (:mod:`adaopt._feedback`); :meth:`block` is its settings as
    the float64 array the njit entry point's ``lr_schedule`` takes.
    """

    def block(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class bold_driver(FeedbackRule):
    r"""Raise the rate while ``f`` falls, cut it when ``f`` rises.

    After each evaluation :math:`f_k` (:math:`k \ge 1`), the rate of the
    next step is :math:`\min(\eta a, \eta_{\max})` if :math:`f_k < f_{k-1}`,
    :math:`\max(\eta b, \eta_{\min})` if :math:`f_k > f_{k-1}`, else
    unchanged; the first step takes ``lr``.  The "bold driver" of Vogl et al.
    (1988) and Battiti (1989), without rejecting a step that raised ``f``.
    It is :func:`adaopt.minimize`'s default ``lr_schedule``: see
    :doc:`/guide/minimize` for why these constants.

    Parameters
    ----------
    increase : float, default 1.1
        :math:`a \ge 1`.
    decrease : float, default 0.85
        :math:`0 < b \le 1`.  Held by the rule, the rate settles where a
        fraction :math:`p^* = \ln a / (\ln a - \ln b)` of the steps raise
        ``f`` (0.37 for the defaults).
    min_lr : float, default 0
        :math:`\eta_{\min} \ge 0`.
    max_lr : float, default inf
        A cap on the rate, ``>= min_lr``.
    max_growth : float, default 1000
        The rate grows to at most this many times the first step's rate
        (``lr``): :math:`\eta_{\max} = \min(\text{max\_lr},
        \text{max\_growth}\cdot\eta_1)`.  A cap relative to ``lr`` keeps
        the rule's reach the same whatever the scale of the method's rate
        (RMSprop's ``1e-3`` is a distance per coordinate, SGD's multiplies
        the gradient).
    """

    def __init__(self, increase=1.1, decrease=0.85, min_lr=0.0, max_lr=math.inf,
                 max_growth=1000.0):
        self.increase = check_real("increase", increase, low=1.0, high=math.inf,
                                   high_open=True)
        self.decrease = check_real("decrease", decrease, low=0.0, high=1.0, low_open=True)
        self.min_lr = _lr("min_lr", min_lr)
        self.max_lr = check_real("max_lr", max_lr, low=0.0)
        self.max_growth = check_real("max_growth", max_growth, low=1.0)
        if not self.min_lr <= self.max_lr:
            raise ValueError(f"min_lr must be <= max_lr, got min_lr={min_lr!r}, "
                             f"max_lr={max_lr!r}")

    def block(self):
        return _feedback.rule_block(_feedback.BOLD_DRIVER, self.increase, self.decrease,
                                    self.min_lr, self.max_lr, self.max_growth)


class plateau(FeedbackRule):
    r"""PyTorch's ``ReduceLROnPlateau`` rule, fed with every value of ``f``.

    The rule of :class:`ReduceLROnPlateau` (same arguments and defaults, no
    optimizer: the driver owns the rate) for ``options={'lr_schedule':
    schedules.plateau(...)}`` of :func:`adaopt.minimize`; a "step" of the
    rule is one iteration.
    """

    def __init__(self, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        self._setting = _plateau_setting(mode, factor, patience, threshold,
                                         threshold_mode, cooldown, min_lr, eps)

    def block(self):
        return _feedback.rule_block(_feedback.PLATEAU, plateau_setting=self._setting)

    def __repr__(self):
        return "plateau" + _plateau_repr(self._setting)
