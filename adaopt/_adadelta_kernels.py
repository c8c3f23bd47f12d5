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

from . import _numba_cache, kernels

__all__ = ["HP", "HP_SIZE", "get_step_kernel"]


class HP(enum.IntEnum):
    """Slots of the scalars in the ``hp`` array read by the Adadelta step loops."""

    LR = kernels.LR_SLOT   # the rate that scales delta (PyTorch's lr, default 1)
    SIGN = kernels.SIGN_SLOT   # -1.0 to maximize, else 1.0
    RHO = 2                # decay of both running averages
    ONE_MINUS_RHO = 3      # 1 - rho, rounded once from float64
    EPS = 4                # eps added inside both square roots
    WD = 5                 # weight decay (coupled, 0 when off)
    CLIP = 6               # clip_value (inf when off)
    SCALE = 7              # clip_norm factor (1 when off)
    PROPAGATE = 8          # 1.0 to write non-finite results, else 0.0
    ZERO = 9               # a typed zero
    ONE = 10               # a typed one


#: Length of the Adadelta ``hp`` array.
HP_SIZE = len(HP)


@numba.njit(inline="always", error_model="numpy")
def _step_block(theta, grad, v, u, hp, lo, count, plain):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    Per element, as PyTorch's Adadelta documents it: ``g`` (sign, clip,
    scale, coupled decay), ``v = rho v + (1 - rho) g^2``, ``delta =
    sqrt(u + eps) / sqrt(v + eps) g`` (in that order, PyTorch's), ``u = rho
    u + (1 - rho) delta^2``, ``theta -= lr delta``.  In the plain body a
    non-finite gradient needs no test of its own: it makes ``v`` non-finite.
    """
    lr = hp[HP.LR]
    sign = hp[HP.SIGN]
    rho = hp[HP.RHO]
    omr = hp[HP.ONE_MINUS_RHO]
    eps = hp[HP.EPS]
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
        vo = v[i]
        uo = u[i]
        vi = rho * vo + omr * g * g
        delta = (math.sqrt(uo + eps) / math.sqrt(vi + eps)) * g
        ui = rho * uo + omr * delta * delta
        new = th - lr * delta
        # u is tested too: delta**2 can overflow where v and the step do not
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)
              & math.isfinite(ui)) | propagate
        blockbad |= not ok
        theta[i] = new if ok else th * one
        v[i] = vi if ok else vo * one
        u[i] = ui if ok else uo * one
    return blockbad


@numba.njit(inline="always")
def _is_plain(hp):
    return ((hp[HP.SIGN] == hp[HP.ONE]) & math.isinf(hp[HP.CLIP])
            & (hp[HP.SCALE] == hp[HP.ONE]) & (hp[HP.WD] == hp[HP.ZERO]))


def _block():
    """The Adadelta block for :func:`adaopt.kernels.fused_step_loop`."""
    def block(theta, grad, S, hp, lo, count, plain):
        return _step_block(theta, grad, S[0], S[1], hp, lo, count, plain)
    return numba.njit(block, inline="always", error_model="numpy")


_step_loops = {}


def get_step_kernel(parallel):
    """Return the compiled Adadelta step loop (its one flavour), serial or parallel."""
    key = bool(parallel)
    return _numba_cache.built_once(_step_loops, key, lambda: kernels.fused_step_loop(
        "Adadelta_1", _block(), _is_plain, key))
