r"""Learning rates that listen to the objective: the rules a driver feeds with ``f``.

A schedule ``lr_schedule(t)`` (:mod:`adaopt._learning_rate`) knows the step
number only.  A *feedback rule* sets the rate of step :math:`k + 1` from the
objective :math:`f_k` just evaluated.  Two rules, each written once here in
a form that runs as Python and compiles with Numba unchanged, so that every
driver (the Python loop, the compiled loop, ``multistart``, the njit entry
point) takes the same rates to the bit:

``bold_driver``
    After each evaluation, with :math:`f_{k-1}` the one before,

    .. math::

        \eta \leftarrow \begin{cases}
            \min(\eta\,a, \eta_{\max}) & f_k < f_{k-1} \\
            \max(\eta\,b, \eta_{\min}) & f_k > f_{k-1} \\
            \eta & \text{otherwise (equal, or the first value)}
        \end{cases}

    with ``increase`` :math:`a \ge 1`, ``decrease`` :math:`0 < b \le 1` and
    :math:`\eta_{\max}` the smaller of ``max_lr`` and ``max_growth`` times the
    first rate:
    the "bold driver" of Vogl et al. (1988) and Battiti (1989), without
    their rejection of a step that increased ``f`` (rejection made the
    default worse on the Moré-Garbow-Hillstrom set: see
    docs/guide/minimize.rst).
``plateau``
    PyTorch's ``ReduceLROnPlateau`` rule (:mod:`adaopt._plateau`) fed with
    every :math:`f_k`.

The rules see the objective being minimized: ``f``, or ``-f`` with
``maximize=True``.  Their settings and state are slots of the run's control
array ``ctl`` (:class:`adaopt._workspace.Ctl`, from ``LR_RULE`` on), filled
by :func:`fill_rule` from the rule's :func:`rule_block`, so each start of a
``multistart`` has a rule of its own.  Python callers (the Python loop)
run these functions as they are, on the NumPy arrays; nopython callers
compile the same source (an overload per function, its own implementation).
"""

import math

import numpy as np
from numba.extending import overload

from . import _plateau
from ._workspace import Ctl

__all__ = ["CONSTANT", "BOLD_DRIVER", "PLATEAU", "RULE_SLOTS", "rule_block", "fill_rule",
           "plateau_views", "next_rate"]

#: ``ctl[LR_RULE]``: no rule (the rate is a constant or a schedule's), or one of the two.
CONSTANT, BOLD_DRIVER, PLATEAU = 0.0, 1.0, 2.0

#: The slots of ``ctl`` a rule owns, in order: what :func:`rule_block` returns.
RULE_SLOTS = slice(Ctl.LR_RULE, Ctl.PLATEAU_SETTING + _plateau.SETTING_SIZE)


def rule_block(kind, increase=1.0, decrease=1.0, min_lr=0.0, max_lr=math.inf,
               max_growth=math.inf, plateau_setting=None):
    """The rule's slots of ``ctl`` (float64, :data:`RULE_SLOTS`), unstarted.

    ``plateau_setting`` is the plateau rule's settings array
    (:class:`adaopt._plateau.Setting`).  The rate slot ``LR`` and the
    starting state are set by :func:`fill_rule` for each run.
    """
    block = np.zeros(RULE_SLOTS.stop - RULE_SLOTS.start)
    at = RULE_SLOTS.start
    block[Ctl.LR_RULE - at] = kind
    block[Ctl.INCREASE - at] = increase
    block[Ctl.DECREASE - at] = decrease
    block[Ctl.MIN_LR - at] = min_lr
    block[Ctl.MAX_LR - at] = max_lr
    block[Ctl.MAX_GROWTH - at] = max_growth
    if plateau_setting is not None:
        block[Ctl.PLATEAU_SETTING - at:] = plateau_setting
    return block


def fill_rule(ctl, block, lr, sign):
    """Start the rule of ``block`` in ``ctl`` at rate ``lr`` (NumPy or nopython).

    ``sign`` is -1.0 when maximizing (the rules then see ``-f``), else 1.0.
    """
    at = RULE_SLOTS.start
    for i in range(block.shape[0]):
        ctl[at + i] = block[i]
    ctl[Ctl.LR] = lr
    # the bold driver's cap: max_lr, and at most max_growth times the first
    # rate (inf * 0 would be NaN: a zero rate has nothing to grow)
    if lr > 0.0:
        ctl[Ctl.MAX_LR] = min(ctl[Ctl.MAX_LR], ctl[Ctl.MAX_GROWTH] * lr)
    ctl[Ctl.RULE_SIGN] = sign
    ctl[Ctl.F_LAST] = math.nan
    if ctl[Ctl.LR_RULE] == PLATEAU:
        state, setting = plateau_views(ctl)
        _plateau.initial_state(state, setting)


def plateau_views(ctl):
    """``(state, setting)``: the plateau rule's two views into ``ctl``."""
    state_at = Ctl.PLATEAU_STATE
    setting_at = Ctl.PLATEAU_SETTING
    return (ctl[state_at:state_at + _plateau.STATE_SIZE],
            ctl[setting_at:setting_at + _plateau.SETTING_SIZE])


def next_rate(ctl, plateau_state, plateau_setting, f):
    """Take ``f`` (the objective just evaluated) into the rule; return the rate
    of the next step.  ``plateau_state``/``plateau_setting`` are
    :func:`plateau_views` of ``ctl`` (taken once per run, not per step)."""
    kind = ctl[Ctl.LR_RULE]
    lr = ctl[Ctl.LR]
    metric = f * ctl[Ctl.RULE_SIGN]
    if kind == BOLD_DRIVER:
        last = ctl[Ctl.F_LAST]
        if metric < last:
            lr = min(lr * ctl[Ctl.INCREASE], ctl[Ctl.MAX_LR])
        elif metric > last:
            lr = max(lr * ctl[Ctl.DECREASE], ctl[Ctl.MIN_LR])
        ctl[Ctl.F_LAST] = metric
    elif kind == PLATEAU:
        lr = _plateau.plateau_step(plateau_state, plateau_setting, metric, lr)
    ctl[Ctl.LR] = lr
    return lr


# nopython code calling these functions compiles the same source
@overload(fill_rule)
def _fill_rule_nopython(ctl, block, lr, sign):
    return fill_rule


@overload(plateau_views)
def _plateau_views_nopython(ctl):
    return plateau_views


@overload(next_rate)
def _next_rate_nopython(ctl, plateau_state, plateau_setting, f):
    return next_rate
