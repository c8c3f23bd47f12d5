"""Compiled per-element loops of RAdam.

The same design as the RMSprop, Adam and Adagrad loops (one fused pass, an
unsigned index, non-finite elements kept with their state by a select), in
the frame they share (:func:`adaopt.kernels.fused_step_loop`) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.  Everything that depends on the step ``t``
alone -- both bias corrections, the rectification term, whether the step
is rectified at all (``rho_t > threshold``) and the eps slots -- is
prepared in float64 before the loop (:func:`adaopt._radam.step_scalars`):
per element there are only the moments and one quotient.
"""

import enum
import math

import numba

from . import kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The RAdam loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    BETA1 = kernels.FRAME_SIZE  # decay of the first moment
    ONE_MINUS_BETA1 = 10   # 1 - beta1, rounded once from float64
    BETA2 = 11             # decay of the second moment
    ONE_MINUS_BETA2 = 12   # 1 - beta2
    ADAPTIVE = 13          # 1.0 when this step is rectified (rho_t > threshold), else 0
    EPS = 14               # eps (eps_hat), else eps sqrt(1 - beta2**t): after the root
    EPS_ROOT = 15          # eps_root (1 - beta2**t), added under the root (0 when off)


#: Length of the RAdam ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's RAdam documents it: ``g`` (sign, clip, scale,
    coupled decay), ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``theta -= lr_wd theta`` (decoupled), then ``theta -= r m / (sqrt(v +
    eps_root') + eps')`` on a rectified step and ``theta -= r m`` on the
    others, ``r`` the step's rate (``Frame.LR``), ``eps'`` and ``eps_root'``
    the step's slots (``HP``; ``eps_root' = 0`` in the plain body, so it is
    ``sqrt(v) + eps'``).  Both kinds update both moments.  ``adaptive`` is
    the same for every element, so the select costs no branch.
    """
    plain = _PLAIN      # noqa: F821 (bound per build: kernels.fused_step_loop)
    masked = _MASKED    # noqa: F821
    m = S[0]
    v = S[1]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    rate = hp[kernels.Frame.LR]
    b1 = hp[HP.BETA1]
    omb1 = hp[HP.ONE_MINUS_BETA1]
    b2 = hp[HP.BETA2]
    omb2 = hp[HP.ONE_MINUS_BETA2]
    adaptive = hp[HP.ADAPTIVE] != zero
    eps = hp[HP.EPS]
    eps_root = hp[HP.EPS_ROOT]
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
        if plain:
            d = math.sqrt(vi) + eps if adaptive else one
        else:
            d = math.sqrt(vi + eps_root) + eps if adaptive else one
        new = kernels.decayed(th, lr_wd, zero) - rate * (mi / d)
        # v is tested on every step: an unrectified one does not read it,
        # but an overflowed moment must not be kept for the rectified ones
        # m needs no test: a non-finite m makes the step, so new, non-finite
        # (x / d is inf or NaN for a non-finite x and any d, and so is th - r x)
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        m[i] = mi if ok else mo * one
        v[i] = vi if ok else vo * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return kernels.frame_is_plain(hp) & (hp[HP.EPS_ROOT] == hp[kernels.Frame.ZERO])


#: The compiled RAdam step loop (its one flavour): ``get_step_kernel(parallel)``.
get_step_kernel = kernels.one_flavour_kernel("RAdam_1", _step_block,
                                             is_plain=_is_plain)
