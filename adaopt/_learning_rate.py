"""The learning rate of each step: a constant, or a schedule's value checked.

One rule for every front end: the optimizer object asks for one step's
rate, the drivers for a table of the rates of many steps (the compiled loop
reads it), with the schedule called once per step and each value checked
as ``lr`` is.
"""

import math

import numpy as np

from ._validation import check_real

__all__ = ["check_lr", "check_schedule", "checked_rate", "rate_prefix", "PLACEHOLDER_LR"]

#: The rate given to a step that is prepared but never taken (a run's last
#: pass prepares the step after the iteration limit, which it stops before;
#: and a step whose rate the schedule failed to give); any valid rate would do.
PLACEHOLDER_LR = 0.0


def check_lr(lr, name="lr"):
    """``lr`` as a float ``>= 0`` and finite; raises naming ``name``."""
    return check_real(name, lr, low=0.0, high=math.inf, high_open=True)


def check_schedule(schedule):
    """``schedule`` if it is None or callable, else ``TypeError``."""
    if schedule is not None and not callable(schedule):
        raise TypeError(f"lr_schedule must be callable t -> lr, got {schedule!r}")
    return schedule


def checked_rate(lr, t):
    """``lr``, the schedule's value at step ``t``, checked as a float."""
    try:
        return check_lr(lr, "lr_schedule(t)")
    except (TypeError, ValueError) as err:
        raise type(err)(f"{err} (at step t={t})") from None


def rate_prefix(schedule, lr, first, stop):
    """``(table, error)``: the rates of steps ``first, ...`` up to the first failure.

    ``table`` holds the checked rates of steps ``first, ..., first +
    len(table) - 1`` (``lr`` for each when ``schedule`` is None); ``error``
    is None when that reaches ``stop - 1``, else the exception the schedule
    raised (or the ``TypeError``/``ValueError`` of a bad rate) at step
    ``first + len(table)``.  The schedule is called once per step, and not
    past a step that raised.  ``KeyboardInterrupt`` propagates.  The values
    are checked in bulk when every one is a plain float (a few ns per step
    instead of ~0.4 µs); otherwise, or when one is out of range, one by one,
    so that the error names the first bad step.
    """
    if schedule is None:
        return np.full(max(stop - first, 0), lr), None
    values = []
    append = values.append
    error = None
    try:
        for t in range(first, stop):
            append(schedule(t))
    except Exception as err:
        error = err
    if set(map(type, values)) <= {float}:
        table = np.array(values, dtype=np.float64)
        if ((table >= 0.0) & (table < math.inf)).all():   # NaN fails too
            return table, error
    checked = []
    for t, value in zip(range(first, stop), values):
        try:
            checked.append(checked_rate(value, t))
        except (TypeError, ValueError) as err:
            return np.array(checked, dtype=np.float64), err
    return np.array(checked, dtype=np.float64), error
