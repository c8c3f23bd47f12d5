"""Compiled per-element loops of NAdam.

The same design as the RMSprop, Adam and RAdam loops (one fused pass, an
unsigned index, non-finite elements kept with their state by a select), in
the frame they share (:func:`adaopt.kernels.fused_step_loop`) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.  Everything that depends on the step ``t``
alone -- the momentum schedule ``mu_t``, its running product, both
coefficients of the Nesterov step and the bias correction -- is prepared in
float64 before the loop (:func:`adaopt._nadam.step_scalars`): per element
there are the moments, one square root and one division.
"""

import enum
import math

import numba

from . import kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The NAdam loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    BETA1 = kernels.FRAME_SIZE  # decay of the first moment
    ONE_MINUS_BETA1 = 10   # 1 - beta1, rounded once from float64
    BETA2 = 11             # decay of the second moment
    ONE_MINUS_BETA2 = 12   # 1 - beta2
    LR_M = 13              # the first moment's coefficient
    EPS_HAT = 14           # eps sqrt(1 - beta2**t)
    MU_PRODUCT = 15        # prod_{k <= MU_STEP} mu_k, in the parameters' dtype
    MU_STEP = 16           # the step MU_PRODUCT is the product up to (0: none)


#: Length of the NAdam ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's NAdam documents it: ``g`` (sign, clip, scale,
    coupled decay), ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``theta -= lr_wd theta`` (decoupled), then ``theta -= (a_g g + a_m m) /
    (sqrt(v) + eps_hat)``: PyTorch's ``c_g g / d + c_m m / d`` with ``d =
    sqrt(v / bc2) + eps``, multiplied through by ``sqrt(bc2)`` (``a = c
    sqrt(bc2)``, ``eps_hat = eps sqrt(bc2)``), one division and one square
    root instead of three and one.
    """
    plain = _PLAIN      # noqa: F821 (bound per build: kernels.fused_step_loop)
    masked = _MASKED    # noqa: F821
    m = S[0]
    v = S[1]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    a_g = hp[kernels.Frame.LR]
    a_m = hp[HP.LR_M]
    b1 = hp[HP.BETA1]
    omb1 = hp[HP.ONE_MINUS_BETA1]
    b2 = hp[HP.BETA2]
    omb2 = hp[HP.ONE_MINUS_BETA2]
    eps_hat = hp[HP.EPS_HAT]
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
        vo = v[i]
        mi = b1 * mo + omb1 * g
        vi = b2 * vo + omb2 * g * g
        new = (kernels.decayed(th, lr_wd, zero)
               - (a_g * g + a_m * mi) / (math.sqrt(vi) + eps_hat))
        # m needs no test: a non-finite m makes the step, so new, non-finite
        # (x / d is inf or NaN for a non-finite x and any d, and so is th - r x)
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        m[i] = mi if ok else mo * one
        v[i] = vi if ok else vo * one
    return blockbad


#: The compiled NAdam step loop (its one flavour): ``get_step_kernel(parallel)``.
get_step_kernel = kernels.one_flavour_kernel("NAdam_1", _step_block)
