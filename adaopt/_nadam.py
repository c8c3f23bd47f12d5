r"""The NAdam method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.NAdam`` arguments and defaults (Dozat 2016, with
PyTorch's momentum schedule; decoupled weight decay: Loshchilov & Hutter
2019), with adaopt's clipping and non-finite handling; the per-element
arithmetic is the fused loop of :mod:`adaopt._nadam_kernels`.
"""

import math

import numba

from . import _nadam_kernels
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from ._nadam_kernels import HP
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["NADAM"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 2e-3, low=0.0, **FINITE),
    Hyperparameter("betas", (0.9, 0.999), "pair", low=0.0, high=1.0, high_open=True,
                   components=("beta1", "beta2")),
    Hyperparameter("eps", 1e-8, low=0.0, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    # inf is allowed, as PyTorch allows it: a constant mu_t = beta1 (optax's nadam)
    Hyperparameter("momentum_decay", 4e-3, low=0.0),
    Hyperparameter("decoupled_weight_decay", False, "bool"),
    Hyperparameter("maximize", False, "bool"),
    *COMMON_OPTIONS,
)

STATE = (
    StateArray("exp_avg"),                          # m
    StateArray("exp_avg_sq", nonnegative=True),     # v
)


def fixed_scalars(hp, cfg):
    """Fill the NAdam table ``hp`` from ``cfg`` (no step taken yet).

    The per-step slots are left at 0 for :func:`step_scalars`; the running
    product of the momentum schedule starts empty (``MU_STEP = 0``).
    """
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY] if cfg[C.DECOUPLED_WEIGHT_DECAY] == 0.0 else 0.0,
               cfg[C.NONFINITE])
    b1 = cfg[C.BETA1]
    b2 = cfg[C.BETA2]
    hp[HP.BETA1] = b1
    hp[HP.ONE_MINUS_BETA1] = 1.0 - b1     # rounded once, from float64
    hp[HP.BETA2] = b2
    hp[HP.ONE_MINUS_BETA2] = 1.0 - b2
    hp[HP.MU_PRODUCT] = 1.0


def per_step(cfg):
    """Always: the momentum schedule and the bias correction change with every step."""
    return True


@numba.njit(error_model="numpy")
def _mu(beta1, momentum_decay, t):
    """PyTorch's momentum schedule ``mu_t = beta1 (1 - 0.96**(t psi) / 2)``."""
    # math.pow is C's pow(), as Python's float ** float in PyTorch
    return beta1 * (1.0 - 0.5 * math.pow(0.96, float(t) * momentum_decay))


def step_scalars(hp, cfg, g, lr, t):
    r"""Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``.

    With :math:`\mu_t = \beta_1(1 - \tfrac12 0.96^{t\psi})` and the running
    product :math:`\Pi_t = \prod_{k \le t} \mu_k`, PyTorch's coefficients of
    the gradient and of the first moment are :math:`\eta(1 - \mu_t)/(1 -
    \Pi_t)` and :math:`\eta\mu_{t+1}/(1 - \Pi_t\mu_{t+1})`, over :math:`d =
    \sqrt{v/b_2} + \epsilon` with :math:`b_2 = 1 - \beta_2^t`; the kernel
    divides by :math:`\sqrt v + \epsilon\sqrt{b_2}` instead, so both
    coefficients and :math:`\epsilon` are multiplied by :math:`\sqrt{b_2}`
    here, in float64 as PyTorch's Python floats.  :math:`\Pi_t` is kept in
    ``hp`` in the parameters' dtype (PyTorch keeps it as a tensor of its
    default dtype) and extended by one factor a step; when ``hp`` holds the
    product of another step (a restored checkpoint, a fresh table) it is
    rebuilt from step 1 with the same roundings, so a resumed run has the
    same bits as an unbroken one.
    """
    b1 = cfg[C.BETA1]
    psi = cfg[C.MOMENTUM_DECAY]
    if hp[HP.MU_STEP] != t - 1:
        hp[HP.MU_PRODUCT] = 1.0
        for k in range(1, t):
            hp[HP.MU_PRODUCT] = hp[HP.MU_PRODUCT] * _mu(b1, psi, k)
    mu = _mu(b1, psi, t)
    mu_next = _mu(b1, psi, t + 1)
    hp[HP.MU_PRODUCT] = hp[HP.MU_PRODUCT] * mu
    hp[HP.MU_STEP] = t
    product = float(hp[HP.MU_PRODUCT])
    root = math.sqrt(1.0 - math.pow(cfg[C.BETA2], float(t)))
    hp[Frame.LR] = lr * (1.0 - mu) / (1.0 - product) * root
    hp[HP.LR_M] = lr * mu_next / (1.0 - product * mu_next) * root
    hp[HP.EPS_HAT] = cfg[C.EPS] * root
    if cfg[C.DECOUPLED_WEIGHT_DECAY] != 0.0:
        hp[Frame.LR_WD] = lr * cfg[C.WEIGHT_DECAY]
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def _kernel(flavour, parallel):
    return _nadam_kernels.get_step_kernel(parallel)


NADAM = Method(
    name="nadam", title="NAdam", hyperparameters=HYPERPARAMETERS,
    requirements=(), state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_nadam_kernels.HP_SIZE,
    kernel=_kernel)

#: The settings' slots (``C.BETA1`` is the slot of ``betas[0]`` in ``cfg``).
C = NADAM.Cfg
