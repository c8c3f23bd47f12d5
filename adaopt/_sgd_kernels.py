"""Compiled per-element loops of SGD (with momentum, dampening, Nesterov).

The same design as the RMSprop and Adam loops (one fused pass, an unsigned
index, non-finite elements kept with their state by a select), in the frame
they share (:func:`adaopt.kernels.fused_step_loop`) from the same gradient
preparation (:func:`adaopt.kernels.prepared_gradient`); only the method's
arithmetic is here.
"""

import enum
import math

import numba

from . import _numba_cache, kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """Slots of the scalars in the ``hp`` array read by the SGD step loops."""

    LR = kernels.LR_SLOT   # learning rate of this step
    SIGN = kernels.SIGN_SLOT   # -1.0 to maximize, else 1.0
    MU = 2                 # momentum
    ONE_MINUS_DAMPENING = 3    # 1 - dampening, rounded once from float64
    NESTEROV = 4           # 1.0 for nesterov, else 0.0
    FIRST = 5              # 1.0 at step 1 (the buffer starts at g), else 0.0
    WD = 6                 # weight decay (coupled, as PyTorch's SGD)
    CLIP = 7               # clip_value (inf when off)
    SCALE = 8              # clip_norm factor (1 when off)
    PROPAGATE = 9          # 1.0 to write non-finite results, else 0.0
    ZERO = 10              # a typed zero
    ONE = 11               # a typed one


#: Length of the SGD ``hp`` array.
HP_SIZE = len(HP)


@numba.njit(inline="always", error_model="numpy")
def _step_block(theta, grad, b, hp, lo, count, momentum, plain):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's SGD documents it: ``g`` (sign, clip, scale,
    weight decay), with momentum ``b = g`` at step 1, else ``b = mu b +
    (1 - dampening) g``, and ``g = g + mu b`` (nesterov) or ``g = b``; then
    ``theta -= lr g``.
    """
    lr = hp[HP.LR]
    sign = hp[HP.SIGN]
    mu = hp[HP.MU]
    omd = hp[HP.ONE_MINUS_DAMPENING]
    nesterov = hp[HP.NESTEROV] != hp[HP.ZERO]
    first = hp[HP.FIRST] != hp[HP.ZERO]
    wd = hp[HP.WD]
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
        if momentum:
            bo = b[i]
            bi = g if first else mu * bo + omd * g
            g = g + mu * bi if nesterov else bi
            finite_g &= math.isfinite(bi)
        new = th - lr * g
        ok = (finite_g & math.isfinite(new)) | propagate
        blockbad |= not ok
        theta[i] = new if ok else th * one
        if momentum:
            b[i] = bi if ok else bo * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return ((hp[HP.SIGN] == hp[HP.ONE]) & math.isinf(hp[HP.CLIP])
            & (hp[HP.SCALE] == hp[HP.ONE]) & (hp[HP.WD] == hp[HP.ZERO]))


def _block(momentum):
    """The SGD block of one flavour for :func:`adaopt.kernels.fused_step_loop`."""
    def block(theta, grad, S, hp, lo, count, plain):
        # no state row without momentum: b aliases theta and is never touched
        b = S[0] if momentum else theta
        return _step_block(theta, grad, b, hp, lo, count, momentum, plain)
    return numba.njit(block, inline="always", error_model="numpy")


_step_loops = {}


def get_step_kernel(momentum, parallel):
    """Return the compiled SGD step loop for one combination of flags."""
    key = (bool(momentum), bool(parallel))
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        f"SGD_{int(key[0])}", _block(key[0]), _is_plain, key[1]))
