"""Compiled per-element loops of Adagrad.

The same design as the RMSprop and Adam loops (one fused pass, an unsigned
index, non-finite elements kept with their state by a select), in the frame
they share (:func:`adaopt.kernels.fused_step_loop`) from the same gradient
preparation (:func:`adaopt.kernels.prepared_gradient`); only the method's
arithmetic is here.  The rate of a step (``lr / (1 + (t - 1) lr_decay)``) is
prepared in float64 before the loop, as PyTorch does.
"""

import enum
import math

import numba

from . import kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The Adagrad loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    EPS_OUT = kernels.FRAME_SIZE  # eps added after the square root (0 with eps_in_sqrt)
    EPS_IN = 10            # eps added under the square root (0 unless eps_in_sqrt)


#: Length of the Adagrad ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's Adagrad documents it: ``g`` (sign, clip, scale,
    coupled decay), ``s = s + g^2``, ``theta -= clr g / (sqrt(s) + eps)``,
    or ``clr g / sqrt(s + eps)`` with ``eps_in_sqrt`` (optax, Keras).
    In the plain body a non-finite gradient needs no test of its own: it
    makes ``s`` non-finite.
    """
    plain = _PLAIN      # noqa: F821 (bound per build: kernels.fused_step_loop)
    masked = _MASKED    # noqa: F821
    s = S[0]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    lr = hp[kernels.Frame.LR]
    eps_out = hp[HP.EPS_OUT]
    eps_in = hp[HP.EPS_IN]
    blockbad = False
    for k in range(count):
        i = numba.uint64(lo + k)
        th = theta[i]
        g = grad[i]
        finite_g = True
        if not plain:
            finite_g = math.isfinite(g)
            g = kernels.prepared_gradient(g, th, sign, clip, scale, wd, zero)
        so = s[i]
        si = so + g * g
        root = math.sqrt(si) if plain else math.sqrt(si + eps_in)
        new = th - lr * (g / (root + eps_out))
        ok = (finite_g & math.isfinite(new) & math.isfinite(si)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        s[i] = si if ok else so * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return kernels.frame_is_plain(hp) & (hp[HP.EPS_IN] == hp[kernels.Frame.ZERO])


#: The compiled Adagrad step loop (its one flavour): ``get_step_kernel(parallel)``.
get_step_kernel = kernels.one_flavour_kernel("Adagrad_1", _step_block, is_plain=_is_plain)
