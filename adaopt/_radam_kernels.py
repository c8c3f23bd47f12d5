"""Compiled per-element loops of RAdam.

The same design as the RMSprop, Adam and Adagrad loops (one fused pass, an
unsigned index, non-finite elements kept with their state by a select), in
the frame they share (:func:`adaopt.kernels.fused_step_loop`) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.  Everything that depends on the step ``t``
alone -- both bias corrections, the rectification term and whether the step
is rectified at all (``rho_t > 5``) -- is prepared in float64 before the
loop (:func:`adaopt._radam.step_scalars`): per element there are only the
moments and one quotient.
"""

import enum
import math

import numba

from . import _numba_cache, kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """Slots of the scalars in the ``hp`` array read by the RAdam step loops."""

    LR = kernels.LR_SLOT   # the step's rate, corrections and rectification folded in
    SIGN = kernels.SIGN_SLOT   # -1.0 to maximize, else 1.0
    BETA1 = 2              # decay of the first moment
    ONE_MINUS_BETA1 = 3    # 1 - beta1, rounded once from float64
    BETA2 = 4              # decay of the second moment
    ONE_MINUS_BETA2 = 5    # 1 - beta2
    ADAPTIVE = 6           # 1.0 when this step is rectified (rho_t > 5), else 0.0
    EPS = 7                # eps added after the square root
    WD = 8                 # coupled weight decay (0 when decoupled or off)
    LR_WD = 9              # lr * decoupled weight decay (0 when coupled or off)
    CLIP = 10              # clip_value (inf when off)
    SCALE = 11             # clip_norm factor (1 when off)
    PROPAGATE = 12         # 1.0 to write non-finite results, else 0.0
    ZERO = 13              # a typed zero
    ONE = 14               # a typed one


#: Length of the RAdam ``hp`` array.
HP_SIZE = len(HP)


@numba.njit(inline="always", error_model="numpy")
def _step_block(theta, grad, m, v, hp, lo, count, plain):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's RAdam documents it: ``g`` (sign, clip, scale,
    coupled decay), ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``theta -= lr_wd theta`` (decoupled), then ``theta -= r m / (sqrt(v) +
    eps)`` on a rectified step and ``theta -= r m`` on the others, ``r`` the
    step's rate (``HP.LR``).  Both kinds update both moments.  ``adaptive``
    is the same for every element, so the select costs no branch.
    """
    rate = hp[HP.LR]
    sign = hp[HP.SIGN]
    b1 = hp[HP.BETA1]
    omb1 = hp[HP.ONE_MINUS_BETA1]
    b2 = hp[HP.BETA2]
    omb2 = hp[HP.ONE_MINUS_BETA2]
    adaptive = hp[HP.ADAPTIVE] != hp[HP.ZERO]
    eps = hp[HP.EPS]
    wd = hp[HP.WD]
    lr_wd = hp[HP.LR_WD]
    clip = hp[HP.CLIP]
    scale = hp[HP.SCALE]
    propagate = hp[HP.PROPAGATE] != hp[HP.ZERO]
    zero = hp[HP.ZERO]
    one = hp[HP.ONE]
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
        d = math.sqrt(vi) + eps if adaptive else one
        new = (th if plain else th - lr_wd * th) - rate * (mi / d)
        # v is tested on every step: an unrectified one does not read it,
        # but an overflowed moment must not be kept for the rectified ones
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)
              & math.isfinite(mi)) | propagate
        blockbad |= not ok
        theta[i] = new if ok else th * one
        m[i] = mi if ok else mo * one
        v[i] = vi if ok else vo * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return ((hp[HP.SIGN] == hp[HP.ONE]) & math.isinf(hp[HP.CLIP])
            & (hp[HP.SCALE] == hp[HP.ONE]) & (hp[HP.WD] == hp[HP.ZERO])
            & (hp[HP.LR_WD] == hp[HP.ZERO]))


def _block():
    """The RAdam block for :func:`adaopt.kernels.fused_step_loop`."""
    def block(theta, grad, S, hp, lo, count, plain):
        return _step_block(theta, grad, S[0], S[1], hp, lo, count, plain)
    return numba.njit(block, inline="always", error_model="numpy")


_step_loops = {}


def get_step_kernel(parallel):
    """Return the compiled RAdam step loop (its one flavour), serial or parallel."""
    key = bool(parallel)
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        "RAdam_1", _block(), _is_plain, key))
