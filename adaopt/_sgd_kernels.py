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
    (:class:`adaopt.kernels.Frame`).

    With ``lr_in_momentum`` (and momentum) the rate is inside the buffer:
    ``Frame.LR`` holds 1.0 and ``G_IN_BUFFER``, ``G_IN_NESTEROV`` the
    step's rate (:func:`adaopt._sgd.rate_slots`).
    """

    MU = kernels.FRAME_SIZE  # momentum
    G_IN_BUFFER = 10       # g's factor in the buffer: 1 - dampening (rounded
    #                        once from float64), or the rate (lr_in_momentum)
    NESTEROV = 11          # 1.0 for nesterov, else 0.0
    FIRST = 12             # 1.0 at step 1 (the buffer starts at g), else 0.0
    G_IN_NESTEROV = 13     # g's factor in the nesterov step: 1.0, or the rate


#: Length of the SGD ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    The body of :func:`adaopt.kernels.fused_step_loop` (``_MOMENTUM``,
    ``_PLAIN``, ``_MASKED`` are constants of each build); ``S`` holds the
    momentum buffer ``b`` (no row without momentum).

    Per element, as PyTorch's SGD documents it: ``g`` (sign, clip, scale,
    weight decay), with momentum ``b = g`` at step 1, else ``b = mu b +
    (1 - dampening) g``, and ``g = g + mu b`` (nesterov) or ``g = b``; then
    ``theta -= lr g``.  With ``lr_in_momentum`` (Keras): ``b = mu b + lr g``
    from ``b = 0``, ``g = lr g + mu b`` or ``b``, ``theta -= 1 g``.  A factor
    1.0 changes no bit, so PyTorch's form keeps its bits.
    """
    momentum = _MOMENTUM  # noqa: F821 (bound per build: kernels.fused_step_loop)
    plain = _PLAIN        # noqa: F821
    masked = _MASKED      # noqa: F821
    # no state row without momentum: b aliases theta and is never touched
    b = S[0] if momentum else theta
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    lr = hp[kernels.Frame.LR]
    mu = hp[HP.MU]
    cb = hp[HP.G_IN_BUFFER]
    cn = hp[HP.G_IN_NESTEROV]
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
            bi = g if first else mu * bo + cb * g
            g = cn * g + mu * bi if nesterov else bi
            finite_g &= math.isfinite(bi)
        new = th - lr * g
        ok = (finite_g & math.isfinite(new)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        if momentum:
            b[i] = bi if ok else bo * one
    return blockbad


_step_loops = {}


def get_step_kernel(momentum, parallel):
    """Return the compiled SGD step loop for one combination of flags."""
    key = (bool(momentum), bool(parallel))
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        f"SGD_{int(key[0])}", _step_block, kernels.frame_is_plain, key[1],
        flags={"_MOMENTUM": key[0]}))
