"""Compiled per-element loops of Adadelta.

The same design as the RMSprop, Adam and Adagrad loops (one fused pass, an
unsigned index, non-finite elements kept with their state by a select), in
the frame they share (:func:`adaopt.kernels.fused_step_loop`) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.  Adadelta's ``eps`` is part of its rule, not an
option (it starts the step from ``sqrt(eps)`` while ``acc_delta`` is 0), so
the plain body keeps it.
"""

import enum
import math

import numba

from . import kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The Adadelta loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    RHO = kernels.FRAME_SIZE  # decay of both running averages
    ONE_MINUS_RHO = 10     # 1 - rho, rounded once from float64
    EPS = 11               # eps added inside both square roots


#: Length of the Adadelta ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's Adadelta documents it: ``g`` (sign, clip,
    scale, coupled decay), ``v = rho v + (1 - rho) g^2``, ``delta =
    sqrt(u + eps) / sqrt(v + eps) g`` (in that order, PyTorch's), ``u = rho
    u + (1 - rho) delta^2``, ``theta -= lr delta``.  In the plain body a
    non-finite gradient needs no test of its own: it makes ``v`` non-finite.
    """
    plain = _PLAIN      # noqa: F821 (bound per build: kernels.fused_step_loop)
    masked = _MASKED    # noqa: F821
    v = S[0]
    u = S[1]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    lr = hp[kernels.Frame.LR]
    rho = hp[HP.RHO]
    omr = hp[HP.ONE_MINUS_RHO]
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
        vo = v[i]
        uo = u[i]
        vi = rho * vo + omr * g * g
        delta = (math.sqrt(uo + eps) / math.sqrt(vi + eps)) * g
        ui = rho * uo + omr * delta * delta
        new = th - lr * delta
        # u is tested too: delta**2 can overflow where v and the step do not
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)
              & math.isfinite(ui)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        v[i] = vi if ok else vo * one
        u[i] = ui if ok else uo * one
    return blockbad


#: The compiled Adadelta step loop (its one flavour): ``get_step_kernel(parallel)``.
get_step_kernel = kernels.one_flavour_kernel("Adadelta_1", _step_block)
