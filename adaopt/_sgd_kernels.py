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
    """The SGD loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    MU = kernels.FRAME_SIZE  # momentum
    ONE_MINUS_DAMPENING = 10  # 1 - dampening, rounded once from float64
    NESTEROV = 11          # 1.0 for nesterov, else 0.0
    FIRST = 12             # 1.0 at step 1 (the buffer starts at g), else 0.0


#: Length of the SGD ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


@numba.njit(inline="always", error_model="numpy")
def _step_block(theta, grad, b, hp, lo, count, momentum, plain, masked):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's SGD documents it: ``g`` (sign, clip, scale,
    weight decay), with momentum ``b = g`` at step 1, else ``b = mu b +
    (1 - dampening) g``, and ``g = g + mu b`` (nesterov) or ``g = b``; then
    ``theta -= lr g``.
    """
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    lr = hp[kernels.Frame.LR]
    mu = hp[HP.MU]
    omd = hp[HP.ONE_MINUS_DAMPENING]
    nesterov = hp[HP.NESTEROV] != zero
    first = hp[HP.FIRST] != zero
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
        ok = (finite_g & math.isfinite(new)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        if momentum:
            b[i] = bi if ok else bo * one
    return blockbad


def _block(momentum):
    """The SGD block of one flavour for :func:`adaopt.kernels.fused_step_loop`."""
    def block(theta, grad, S, hp, lo, count, plain, masked):
        # no state row without momentum: b aliases theta and is never touched
        b = S[0] if momentum else theta
        return _step_block(theta, grad, b, hp, lo, count, momentum, plain, masked)
    return numba.njit(block, inline="always", error_model="numpy")


_step_loops = {}


def get_step_kernel(momentum, parallel):
    """Return the compiled SGD step loop for one combination of flags."""
    key = (bool(momentum), bool(parallel))
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        f"SGD_{int(key[0])}", _block(key[0]), kernels.frame_is_plain, key[1]))
