r"""The RAdam method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.RAdam`` arguments and defaults (Liu et al. 2020;
decoupled weight decay: Loshchilov & Hutter 2019), with adaopt's clipping
and non-finite handling; the per-element arithmetic is the fused loop of
:mod:`adaopt._radam_kernels`.
"""

import math

from . import _radam_kernels
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from ._radam_kernels import HP
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["RADAM"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1e-3, low=0.0, **FINITE),
    Hyperparameter("betas", (0.9, 0.999), "pair", low=0.0, high=1.0, high_open=True,
                   components=("beta1", "beta2")),
    Hyperparameter("eps", 1e-8, low=0.0, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("decoupled_weight_decay", False, "bool"),
    Hyperparameter("maximize", False, "bool"),
    # optax's placement of eps and its threshold (docs/compatibility.rst)
    Hyperparameter("eps_root", 0.0, low=0.0, **FINITE),
    Hyperparameter("eps_hat", True, "bool"),
    # A step is rectified when rho_t > threshold (PyTorch's 5, Liu et al.
    # 2020, algorithm 2; optax's >= differs only at equality).  At least 4, so
    # that a rectified step has rho_inf >= rho_t > 4 and r_t is real, finite
    # and > 0: below 4 its square root can be of a negative number (2 < rho_t
    # < 4) or divide by 0 (rho_inf = 4), where optax gives NaN.  Above rho_inf
    # no step is rectified: momentum SGD throughout.
    Hyperparameter("threshold", 5.0, low=4.0, **FINITE),
    *COMMON_OPTIONS,
)

STATE = (
    StateArray("exp_avg"),                          # m
    StateArray("exp_avg_sq", nonnegative=True),     # v
)


def fixed_scalars(hp, cfg):
    """Fill the RAdam table ``hp`` from ``cfg`` (the rate of step 1; the eps
    slots are left at 0 for :func:`step_scalars`, which every step calls).

    Step 1 is never rectified: ``rho_1 = 1`` for every ``beta2``.
    """
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY] if cfg[C.DECOUPLED_WEIGHT_DECAY] == 0.0 else 0.0,
               cfg[C.NONFINITE])
    b1 = cfg[C.BETA1]
    b2 = cfg[C.BETA2]
    hp[Frame.LR] = cfg[C.LR] / (1.0 - b1)
    hp[HP.BETA1] = b1
    hp[HP.ONE_MINUS_BETA1] = 1.0 - b1     # rounded once, from float64
    hp[HP.BETA2] = b2
    hp[HP.ONE_MINUS_BETA2] = 1.0 - b2


def per_step(cfg):
    """Always: the bias corrections and the rectification change with every step."""
    return True


def step_scalars(hp, cfg, g, lr, t):
    r"""Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``.

    In float64, as PyTorch's Python floats: with :math:`b_1 = 1 -
    \beta_1^t`, :math:`b_2 = 1 - \beta_2^t`, :math:`\rho_\infty = 2/(1 -
    \beta_2) - 1` and :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / b_2`,
    a step with :math:`\rho_t >` ``threshold`` (5) is rectified, at the rate
    :math:`\eta\, r_t \sqrt{b_2} / b_1` with :math:`r_t =
    \sqrt{(\rho_t - 4)(\rho_t - 2)\rho_\infty / ((\rho_\infty - 4)(\rho_\infty
    - 2)\rho_t)}`; any other step is momentum SGD at :math:`\eta / b_1`.
    The eps slot is :math:`\epsilon` (``eps_hat``, PyTorch's form: added to
    :math:`\sqrt{v}`) or :math:`\epsilon\sqrt{b_2}` (optax's: added to
    :math:`\sqrt{\hat v}`), and ``eps_root`` is scaled by :math:`b_2`, as in
    :func:`adaopt._adam.step_scalars`: the kernel's :math:`m/(\sqrt{v +
    \epsilon_{root} b_2} + \epsilon\sqrt{b_2})` times :math:`\sqrt{b_2}` is
    optax's :math:`m/(\sqrt{\hat v + \epsilon_{root}} + \epsilon)`.
    """
    b2 = cfg[C.BETA2]
    # math.pow is C's pow(), as Python's float ** float in PyTorch
    bc1 = 1.0 - math.pow(cfg[C.BETA1], float(t))
    b2t = math.pow(b2, float(t))
    bc2 = 1.0 - b2t
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * b2t / bc2
    root = math.sqrt(bc2)
    if rho_t > cfg[C.THRESHOLD]:
        # rho_inf >= rho_t > threshold >= 4 here (the table's range), so no
        # factor below is 0 or negative
        rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                         / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
        hp[Frame.LR] = lr * rect * root / bc1
        hp[HP.ADAPTIVE] = 1.0
    else:
        hp[Frame.LR] = lr / bc1
        hp[HP.ADAPTIVE] = 0.0
    hp[HP.EPS] = cfg[C.EPS] if cfg[C.EPS_HAT] != 0.0 else cfg[C.EPS] * root
    hp[HP.EPS_ROOT] = cfg[C.EPS_ROOT] * bc2
    if cfg[C.DECOUPLED_WEIGHT_DECAY] != 0.0:
        hp[Frame.LR_WD] = lr * cfg[C.WEIGHT_DECAY]
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def plain_varies(cfg):
    """Whether a step's table tests differently from the fixed one:
    ``eps_root`` (0 in the fixed table) is scaled into it at each step."""
    return cfg[C.EPS_ROOT] != 0.0


def _kernel(flavour, parallel):
    return _radam_kernels.get_step_kernel(parallel)


RADAM = Method(
    name="radam", title="RAdam", hyperparameters=HYPERPARAMETERS,
    requirements=(), state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_radam_kernels.HP_SIZE,
    kernel=_kernel, plain_varies=plain_varies)

#: The settings' slots (``C.BETA2`` is the slot of ``betas[1]`` in ``cfg``).
C = RADAM.Cfg
