"""Compiled per-element loops of Adam (and AdamW, AMSGrad).

The same design as the RMSprop loops of :mod:`adaopt.kernels` (one fused
pass, an unsigned index, non-finite elements kept with their state by a
select), in the frame they share (:func:`adaopt.kernels.fused_step_loop`:
the overlap check, serial and ``prange`` builds with the same bits, a plain
copy of the body when every scalar option is neutral) from the same
gradient preparation (:func:`adaopt.kernels.prepared_gradient`); only the
method's arithmetic is here.
"""

import enum
import math

import numba

from . import _numba_cache, kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """The Adam loops' own slots of ``hp``, after the frame's
    (:class:`adaopt.kernels.Frame`)."""

    BETA1 = kernels.FRAME_SIZE  # decay of the first moment
    ONE_MINUS_BETA1 = 10   # 1 - beta1, rounded once from float64
    BETA2 = 11             # decay of the second moment
    ONE_MINUS_BETA2 = 12   # 1 - beta2
    EPS_HAT = 13           # eps sqrt(1 - beta2**t) (eps itself with eps_hat)
    EPS_ROOT = 14          # eps_root (1 - beta2**t), added under the root (0 when off)


#: Length of the Adam ``hp`` array.
HP_SIZE = kernels.FRAME_SIZE + len(HP)


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    The body of :func:`adaopt.kernels.fused_step_loop` (``_AMSGRAD``,
    ``_PLAIN``, ``_MASKED`` are constants of each build); ``S`` holds
    ``m, v`` and, with amsgrad, ``vmax``.

    Per element, as PyTorch's Adam documents it, in the efficient form of
    Kingma & Ba (section 2), which is the same update with one division and
    one square root: ``g`` (sign, clip, scale, coupled decay),
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``vmax = max(vmax, v)`` with amsgrad, ``theta -= lr_wd theta``
    (decoupled), ``theta -= r m / (sqrt(v' + eps_root') + eps_hat)`` with
    ``v'`` = vmax or v, ``r = lr sqrt(bc2) / bc1`` and ``eps_hat = eps
    sqrt(bc2)`` (``HP``): ``(m / bc1) / (sqrt(v / bc2) + eps)`` multiplied
    through by ``sqrt(bc2)``.
    """
    amsgrad = _AMSGRAD  # noqa: F821 (bound per build: kernels.fused_step_loop)
    plain = _PLAIN      # noqa: F821
    masked = _MASKED    # noqa: F821
    m = S[0]
    v = S[1]
    vmax = S[2] if amsgrad else v
    sign, clip, scale, wd, lr_wd, propagate, zero, one = kernels.frame_scalars(hp)
    rate = hp[kernels.Frame.LR]
    b1 = hp[HP.BETA1]
    omb1 = hp[HP.ONE_MINUS_BETA1]
    b2 = hp[HP.BETA2]
    omb2 = hp[HP.ONE_MINUS_BETA2]
    eps_hat = hp[HP.EPS_HAT]
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
        if amsgrad:
            wo = vmax[i]
            wi = max(wo, vi)
            s = wi
        else:
            s = vi
        root = math.sqrt(s) if plain else math.sqrt(s + eps_root)
        new = kernels.decayed(th, lr_wd, zero) - rate * (mi / (root + eps_hat))
        # m needs no test: a non-finite m makes the step, so new, non-finite
        # (x / d is inf or NaN for a non-finite x and any d, and so is th - r x)
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)) | propagate | (not masked)
        blockbad |= not ok
        theta[i] = new if ok else th * one
        m[i] = mi if ok else mo * one
        v[i] = vi if ok else vo * one
        if amsgrad:
            vmax[i] = wi if ok else wo * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return kernels.frame_is_plain(hp) & (hp[HP.EPS_ROOT] == hp[kernels.Frame.ZERO])


_step_loops = {}


def get_step_kernel(amsgrad, parallel):
    """Return the compiled Adam step loop for one combination of flags."""
    key = (bool(amsgrad), bool(parallel))
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        f"Adam_{int(key[0])}", _step_block, _is_plain, key[1],
        flags={"_AMSGRAD": key[0]}))
