r"""The work arrays of a run, laid out and filled in one place.

A run of ``minimize`` (either driver), a start of ``multistart`` and a call
of the njit entry point all work on the same three arrays:

* ``W``, 2-D, of the parameters' dtype, one vector per row (:class:`Row`):
  the iterate, the previous iterate and its gradient (kept so a failure
  can return the last good iterate), then the method's state arrays in use
  (their rows are the ``S`` the kernel updates), then the bounds ``LO`` and
  ``HI`` when bounded.  One array keeps the compiled call at few
  arguments: each array argument costs about 0.1 µs to dispatch.
* ``hp``, the kernel's scalars (the method's table), of the parameters'
  dtype.
* ``ctl``, float64, the iteration's control slots (:class:`Ctl`).

:func:`fill_workspace` and :func:`fill_control` are written in a form that
runs both as NumPy code (called from Python) and compiled (inlined into
the njit entry point), so the layout and the starting values are written
once.
"""

import enum
import math

import numpy as np
from numba.extending import overload

__all__ = ["Row", "Ctl", "CTL_SIZE", "check_box", "copy_into", "fill_workspace",
           "fill_control", "iteration_limit_from_maxfev", "workspace_rows"]


class Row(enum.IntEnum):
    """Rows of ``W``: the fixed ones; the state rows start at ``STATE``."""

    X = 0       # the iterate x_k
    XPREV = 1   # x_{k-1}
    GPREV = 2   # g_{k-1}
    STATE = 3   # first state row; the bounds follow the state rows


class Ctl(enum.IntEnum):
    """Slots of the float64 control array ``ctl`` read and written by ``advance``."""

    F = 0          # in: f at the iterate in W[X]; NaN while it is unevaluated
    FPREV = 1      # f at W[XPREV]
    K = 2          # iterations done: W[X] is x_k
    GTOL = 3
    FTOL = 4
    XTOL = 5
    MAXITER = 6
    KFEV = 7       # iteration limit implied by maxfev
    BOUNDED = 8    # 1.0 when W holds LO/HI rows
    MODE = 9       # 0: steps 1 and 3-8; 1: step 1 only; 2: steps 3-8
    GNORM = 10     # out: inf-norm of the projected g at W[X] (step 3)
    STEPNORM = 11  # inf-norm of the last step x_k - x_{k-1}
    PREPARE = 12   # 1.0: the step's scalars are prepared at every step
    FLAVOUR = 13   # index in the method's flavours (the njit entry's run-time choice)
    # the learning-rate feedback rule (adaopt._feedback) from here on
    LR_RULE = 14   # which rule: 0 none, 1 bold driver, 2 plateau
    LR = 15        # the rate the rule gave last
    RULE_SIGN = 16  # -1.0 when maximizing: the rule sees -f
    F_LAST = 17    # the last value the bold driver saw (NaN before the first)
    INCREASE = 18
    DECREASE = 19
    MIN_LR = 20
    MAX_LR = 21
    MAX_GROWTH = 22  # the cap is also MAX_GROWTH times the first rate
    PLATEAU_STATE = 23    # 4 slots (adaopt._plateau.State)
    PLATEAU_SETTING = 27  # 8 slots (adaopt._plateau.Setting)


#: Length of ``ctl``: the plateau rule's settings are its last 8 slots.
CTL_SIZE = Ctl.PLATEAU_SETTING + 8


def workspace_rows(nstate, bounded):
    """Rows of ``W`` for ``nstate`` state rows, with or without bounds."""
    return Row.STATE + nstate + (2 if bounded else 0)


def iteration_limit_from_maxfev(maxfev, calls):
    """``kfev``: the last iteration index whose ``calls`` evaluations each fit
    in ``maxfev`` (an integer; "no limit" is the caller's ``inf``)."""
    return max(maxfev // calls - 1, 0)


def check_box(lo, hi):
    """``(first, bounded)``: the index of the first element with ``lo > hi``
    or a NaN (-1 for none), and whether the box bounds anything at all.

    The one rule of every front end's bounds (NumPy code and nopython code
    alike); the callers word the error.
    """
    bad = np.flatnonzero(~(lo <= hi))
    first = bad[0] if bad.size > 0 else -1
    bounded = np.any(lo > -np.inf) or np.any(hi < np.inf)
    return first, bounded


@overload(check_box, inline="always")
def _check_box_overload(lo, hi):
    # Compiled, the same rule as one loop: np.flatnonzero, the boolean
    # temporaries and np.any cost about 0.3 s of every njit caller's
    # first compile, for a test run once.
    def impl(lo, hi):
        first = -1
        bounded = False
        for i in range(lo.shape[0]):
            if first < 0 and not (lo[i] <= hi[i]):
                first = i
            bounded |= (lo[i] > -np.inf) | (hi[i] < np.inf)
        return first, bounded
    return impl


def copy_into(dst, src):
    """``dst[:] = src`` for two 1-D arrays of one length (NumPy or nopython).

    Compiled, an explicit loop: Numba's array assignment ``dst[:] = src``
    compiles the formatting of its shape-mismatch message, about 1.5 s of
    string code in the first compilation of each process and each cached
    driver, for a mismatch that cannot happen here.
    """
    dst[:] = src


@overload(copy_into, inline="always")
def _copy_into_overload(dst, src):
    def impl(dst, src):
        for i in range(dst.shape[0]):
            dst[i] = src[i]
    return impl


def fill_workspace(W, x0, lo, hi, bounded, initial):
    """Fill ``W`` for a run from ``x0``; ``initial`` holds each state row's start.

    With ``bounded``, ``lo``/``hi`` go into the bound rows and the iterate
    starts at ``x0`` clipped into the box.  NumPy code and nopython code
    alike (see the module docstring).
    """
    nstate = initial.shape[0]
    x = W[Row.X]
    if bounded:
        row_lo = Row.STATE + nstate
        copy_into(W[row_lo], lo)
        copy_into(W[row_lo + 1], hi)
        copy_into(x, np.minimum(np.maximum(x0, W[row_lo]), W[row_lo + 1]))
    else:
        copy_into(x, x0)
    copy_into(W[Row.XPREV], x)
    W[Row.GPREV] = 0.0
    for j in range(nstate):
        W[Row.STATE + j] = initial[j]


def fill_control(ctl, gtol, ftol, xtol, maxiter, kfev, bounded, prepare):
    """Fill ``ctl`` for a run that has evaluated nothing yet (NumPy or nopython)."""
    ctl[:] = 0.0
    ctl[Ctl.F] = math.nan
    ctl[Ctl.FPREV] = math.nan
    ctl[Ctl.GTOL] = gtol
    ctl[Ctl.FTOL] = ftol
    ctl[Ctl.XTOL] = xtol
    ctl[Ctl.MAXITER] = maxiter
    ctl[Ctl.KFEV] = kfev
    ctl[Ctl.BOUNDED] = 1.0 if bounded else 0.0
    ctl[Ctl.STEPNORM] = math.inf
    ctl[Ctl.PREPARE] = 1.0 if prepare else 0.0
