r"""Learning-rate schedules: callables ``t -> lr`` for steps ``t = 1, 2, ...``.

Any callable taking the 1-based step number and returning a learning rate
works as ``lr_schedule``; the classes here are the usual ones, with a readable
repr and checked arguments.  They are stateless, so a checkpoint needs only
the step count.

>>> from adaopt import schedules
>>> s = schedules.linear_warmup(schedules.cosine_decay(0.1, decay_steps=100), 10)
>>> [round(s(t), 4) for t in (1, 10, 11, 110)]
[0.01, 0.1, 0.1, 0.0]
"""

import math
import numbers

from ._validation import check_bool, check_real

__all__ = ["Schedule", "constant", "exponential_decay", "step_decay",
           "cosine_decay", "linear_warmup"]


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
