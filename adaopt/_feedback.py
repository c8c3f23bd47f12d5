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
compile the same source (:func:`compiled_rule`, with or without the plateau
rule, and an overload of :func:`plateau_views`, its own implementation).
"""

import math

import numba
import numpy as np
from numba.extending import overload

from . import _numba_cache, _plateau
from ._workspace import Ctl

__all__ = ["CONSTANT", "BOLD_DRIVER", "PLATEAU", "RULE_SLOTS", "rule_block", "fill_rule",
           "plateau_views", "next_rate", "uses_plateau", "compiled_rule"]

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
        _plateau_start(ctl)


def plateau_views(ctl):
    """``(state, setting)``: the plateau rule's two views into ``ctl``."""
    state_at = Ctl.PLATEAU_STATE
    setting_at = Ctl.PLATEAU_SETTING
    return (ctl[state_at:state_at + _plateau.STATE_SIZE],
            ctl[setting_at:setting_at + _plateau.SETTING_SIZE])


def uses_plateau(ctl):
    """Whether the rule started in ``ctl`` is the plateau rule."""
    return bool(ctl[Ctl.LR_RULE] == PLATEAU)


def _plateau_start(ctl):
    state, setting = plateau_views(ctl)
    _plateau.initial_state(state, setting)


def _plateau_rate(ctl, metric, lr):
    state, setting = plateau_views(ctl)
    return _plateau.plateau_step(state, setting, metric, lr)


def next_rate(ctl, f):
    """Take ``f`` (the objective just evaluated) into the rule; return the rate
    of the next step."""
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
        lr = _plateau_rate(ctl, metric, lr)
    ctl[Ctl.LR] = lr
    return lr


# nopython code calling these functions compiles the same source
@overload(plateau_views)
def _plateau_views_nopython(ctl):
    return plateau_views


_NO_PLATEAU = "this build of the feedback rules was made without the plateau rule"


def _no_plateau_start(ctl):
    raise ValueError(_NO_PLATEAU)


def _no_plateau_rate(ctl, metric, lr):
    raise ValueError(_NO_PLATEAU)


_compiled_rules = {}


def compiled_rule(plateau):
    """``(fill_rule, next_rate)`` compiled, for nopython callers.

    ``plateau=False`` (a run whose rule is the bold driver or none, known
    when its code is built) builds them without the plateau rule: its
    state, views and step are about 0.3 s of a compiled driver's first
    compile and 1 s of an njit caller's, and a build without it refuses a
    run that asks for it rather than skip it.
    """
    def build():
        start = _plateau_start if plateau else _no_plateau_start
        rate = _plateau_rate if plateau else _no_plateau_rate
        suffix = "_with_plateau" if plateau else "_without_plateau"
        start, rate = (numba.njit(f, inline="always") for f in (start, rate))
        return tuple(numba.njit(_numba_cache.rebind(
            f, suffix, _plateau_start=start, _plateau_rate=rate))
            for f in (fill_rule, next_rate))
    return _numba_cache.built_once(_compiled_rules, bool(plateau), build)
