r"""The reduce-on-plateau rule, written once in nopython form.

PyTorch's ``torch.optim.lr_scheduler.ReduceLROnPlateau``: after each value
``metric`` of the objective (a loss, or ``f`` in a driver),

* it is *better* than the best so far when, for ``mode='min'``,
  ``metric < best * (1 - threshold)`` (``threshold_mode='rel'``) or
  ``metric < best - threshold`` (``'abs'``); for ``mode='max'``,
  ``metric > best * (1 + threshold)`` or ``metric > best + threshold``.
  A better value becomes ``best`` and clears the count of bad steps;
  any other adds one;
* during a cooldown (``cooldown_counter > 0``) the counter goes down by one
  and bad steps are not counted;
* when the count exceeds ``patience``, the rate becomes
  ``max(lr * factor, min_lr)`` -- unless that changes it by ``eps`` or
  less -- the cooldown starts (``cooldown`` steps) and the count clears.

:func:`plateau_step` runs as Python (:class:`adaopt.schedules.ReduceLROnPlateau`
calls it for a training loop) and compiles with Numba unchanged (an
overload whose implementation is the function itself), so a compiled loop
takes the same rule.  Its state and settings are two small
float64 arrays, slots :class:`State` and :class:`Setting`.
"""

import enum
import math

from numba.extending import overload

__all__ = ["State", "Setting", "STATE_SIZE", "SETTING_SIZE", "MODES", "THRESHOLD_MODES", "initial_state", "plateau_step"]

#: ``mode`` and ``threshold_mode`` by their index in the settings.
MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")


class State(enum.IntEnum):
    """Slots of the rule's state (PyTorch's attribute names)."""

    BEST = 0
    NUM_BAD_EPOCHS = 1
    COOLDOWN_COUNTER = 2
    LAST_EPOCH = 3


class Setting(enum.IntEnum):
    """Slots of the rule's settings."""

    MODE = 0            # index in MODES
    FACTOR = 1
    PATIENCE = 2
    THRESHOLD = 3
    THRESHOLD_MODE = 4  # index in THRESHOLD_MODES
    COOLDOWN = 5
    MIN_LR = 6
    EPS = 7


#: Lengths of the state and settings arrays (constants for nopython code).
STATE_SIZE = len(State)
SETTING_SIZE = len(Setting)


def initial_state(state, setting):
    """Fill ``state`` for a rule that has seen nothing (``best`` the worst value)."""
    state[State.BEST] = math.inf if setting[Setting.MODE] == 0.0 else -math.inf
    state[State.NUM_BAD_EPOCHS] = 0.0
    state[State.COOLDOWN_COUNTER] = 0.0
    state[State.LAST_EPOCH] = 0.0


def plateau_step(state, setting, metric, lr):
    """Take ``metric`` into ``state``; return the learning rate from now on."""
    current = float(metric)
    state[State.LAST_EPOCH] += 1.0
    best = state[State.BEST]
    threshold = setting[Setting.THRESHOLD]
    relative = setting[Setting.THRESHOLD_MODE] == 0.0
    if setting[Setting.MODE] == 0.0:
        better = current < (best * (1.0 - threshold) if relative else best - threshold)
    else:
        better = current > (best * (threshold + 1.0) if relative else best + threshold)
    if better:
        state[State.BEST] = current
        state[State.NUM_BAD_EPOCHS] = 0.0
    else:
        state[State.NUM_BAD_EPOCHS] += 1.0
    if state[State.COOLDOWN_COUNTER] > 0.0:
        state[State.COOLDOWN_COUNTER] -= 1.0
        state[State.NUM_BAD_EPOCHS] = 0.0       # bad steps in a cooldown do not count
    if state[State.NUM_BAD_EPOCHS] > setting[Setting.PATIENCE]:
        new_lr = max(lr * setting[Setting.FACTOR], setting[Setting.MIN_LR])
        if lr - new_lr > setting[Setting.EPS]:
            lr = new_lr
        state[State.COOLDOWN_COUNTER] = setting[Setting.COOLDOWN]
        state[State.NUM_BAD_EPOCHS] = 0.0
    return lr


# nopython code calling these functions compiles the same source
@overload(initial_state)
def _initial_state_nopython(state, setting):
    return initial_state


@overload(plateau_step)
def _plateau_step_nopython(state, setting, metric, lr):
    return plateau_step
