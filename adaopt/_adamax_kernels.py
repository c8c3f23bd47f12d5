"""Compiled per-element loops of Adamax.

The same design as the RMSprop, Adam and Adagrad loops (one fused pass, an
unsigned index, non-finite elements kept with their state by a select), in
the frame they share (:func:`adaopt.kernels.fused_step_loop`) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.  The rate of a step, bias correction included
(``lr / (1 - beta1**t)``), is prepared in float64 before the loop, as
PyTorch does.
"""

import enum
import math

import numba

from . import kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The Adamax loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    BETA1 = kernels.FRAME_SIZE  # decay of the first moment
    ONE_MINUS_BETA1 = 10   # 1 - beta1, rounded once from float64
    BETA2 = 11             # decay of the infinity norm
    EPS = 12               # eps added to |g| inside the maximum


#: Length of the Adamax ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's Adamax documents it: ``g`` (sign, clip, scale,
    coupled decay), ``m = b1 m + (1 - b1) g``, ``u = max(b2 u, |g| + eps)``,
    ``theta -= clr (m / u)`` with ``clr = lr / (1 - b1**t)``.  The maximum
    keeps a NaN of either side, as ``torch.maximum`` does.  In the plain
    body a non-finite gradient needs no test of its own: it makes ``m``
    non-finite.
    """
    plain = _PLAIN      # noqa: F821 (bound per build: kernels.fused_step_loop)
    masked = _MASKED    # noqa: F821
    m = S[0]
    u = S[1]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    clr = hp[kernels.Frame.LR]
    b1 = hp[HP.BETA1]
    omb1 = hp[HP.ONE_MINUS_BETA1]
    b2 = hp[HP.BETA2]
    eps = hp[HP.EPS]
    blockbad = False
    for k in range(count):
        i = numba.uint64(lo + k)
        th = theta[i]
        g = grad[i]
        finite_g = True
        if not plain:
            finite_g = math.isfinite(g)
            g = kernels.prepared_gradient(g, th, sign, clip, scale, wd, zero)
        mo = m[i]
        uo = u[i]
        mi = b1 * mo + omb1 * g
        decayed = b2 * uo
        bound = abs(g) + eps
        ui = bound if (bound > decayed) | (bound != bound) else decayed
        new = th - clr * (mi / ui)
        # m needs no test: a non-finite m makes the step, so new, non-finite
        # (x / d is inf or NaN for a non-finite x and any d, and so is th - r x)
        ok = (finite_g & math.isfinite(new) & math.isfinite(ui)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        m[i] = mi if ok else mo * one
        u[i] = ui if ok else uo * one
    return blockbad


#: The compiled Adamax step loop (its one flavour): ``get_step_kernel(parallel)``.
get_step_kernel = kernels.one_flavour_kernel("Adamax_1", _step_block)
