r"""The Adam method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.Adam`` arguments and defaults (Kingma & Ba 2015;
AMSGrad: Reddi, Kale & Kumar 2018; decoupled weight decay: Loshchilov &
Hutter 2019), with adaopt's clipping and non-finite handling; the
per-element arithmetic is the fused loop of :mod:`adaopt._adam_kernels`.
"""

import math

from . import _adam_kernels
from ._adam_kernels import HP
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["ADAM", "ADAMW"]


def _hyperparameters(weight_decay, decoupled_fixed):
    """Adam's table; AdamW's has another weight decay default and the decay
    always decoupled (the same settings' slots, so the same preparation)."""
    return (
        Hyperparameter("lr", 1e-3, low=0.0, **FINITE),
        Hyperparameter("betas", (0.9, 0.999), "pair", low=0.0, high=1.0, high_open=True,
                       components=("beta1", "beta2")),
        Hyperparameter("eps", 1e-8, low=0.0, **FINITE),
        Hyperparameter("weight_decay", weight_decay, low=0.0, **FINITE),
        Hyperparameter("amsgrad", False, "bool"),
        Hyperparameter("maximize", False, "bool"),
        Hyperparameter("decoupled_weight_decay", decoupled_fixed, "bool",
                       fixed=decoupled_fixed),
        # optax's and Keras' placements of eps (docs/compatibility.rst)
        Hyperparameter("eps_root", 0.0, low=0.0, **FINITE),
        Hyperparameter("eps_hat", False, "bool"),
        *COMMON_OPTIONS,
    )

STATE = (
    StateArray("exp_avg"),                                          # m
    StateArray("exp_avg_sq", nonnegative=True),                     # v
    StateArray("max_exp_avg_sq", when="amsgrad", nonnegative=True),  # v max
)


def fixed_scalars(hp, cfg):
    """Fill the Adam table ``hp`` from ``cfg`` (the per-step slots are left at 0
    for :func:`step_scalars`, which every step calls)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY] if cfg[C.DECOUPLED_WEIGHT_DECAY] == 0.0 else 0.0,
               cfg[C.NONFINITE])
    b1 = cfg[C.BETA1]
    b2 = cfg[C.BETA2]
    hp[HP.BETA1] = b1
    hp[HP.ONE_MINUS_BETA1] = 1.0 - b1     # rounded once, from float64
    hp[HP.BETA2] = b2
    hp[HP.ONE_MINUS_BETA2] = 1.0 - b2


def per_step(cfg):
    """Always: the bias corrections change with every step."""
    return True


def step_scalars(hp, cfg, g, lr, t):
    r"""Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``.

    In float64, as PyTorch's Python floats, each rounded once to the
    parameters' dtype: with :math:`b_1 = 1 - \beta_1^t` and :math:`b_2 = 1 -
    \beta_2^t`, the rate :math:`\eta\sqrt{b_2}/b_1`, :math:`\hat\epsilon =
    \epsilon\sqrt{b_2}` (:math:`\epsilon` itself with ``eps_hat``, Keras'
    form) and ``eps_root`` times :math:`b_2`, so that the kernel's
    :math:`\eta\sqrt{b_2}/b_1 \cdot m/(\sqrt{v + \epsilon_{root} b_2} +
    \hat\epsilon)` is PyTorch's :math:`\eta\,\hat m/(\sqrt{\hat v +
    \epsilon_{root}} + \epsilon)` (in exact arithmetic), with one division
    and one square root per element instead of three and one.
    """
    # math.pow is C's pow(), as Python's float ** int
    bc1 = 1.0 - math.pow(cfg[C.BETA1], float(t))
    bc2 = 1.0 - math.pow(cfg[C.BETA2], float(t))
    root = math.sqrt(bc2)
    hp[Frame.LR] = lr * root / bc1
    hp[HP.EPS_HAT] = cfg[C.EPS] if cfg[C.EPS_HAT] != 0.0 else cfg[C.EPS] * root
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
    return _adam_kernels.get_step_kernel(flavour[2], parallel)


_SHARED = dict(requirements=(), state=STATE, fixed_scalars=fixed_scalars,
               step_scalars=step_scalars, per_step=per_step,
               hp_size=_adam_kernels.HP_SIZE, kernel=_kernel, plain_varies=plain_varies)

ADAM = Method(name="adam", title="Adam", hyperparameters=_hyperparameters(0.0, False),
              **_SHARED)

#: AdamW (Loshchilov & Hutter 2019): PyTorch's ``torch.optim.AdamW``, Adam
#: with ``weight_decay=1e-2`` decoupled.
ADAMW = Method(name="adamw", title="AdamW", engine="adam",
               hyperparameters=_hyperparameters(1e-2, True), **_SHARED)
assert [(s.name, s.value) for s in ADAMW.Cfg] == [(s.name, s.value) for s in ADAM.Cfg]

#: The settings' slots (``C.BETA1`` is the slot of ``betas[0]`` in ``cfg``).
C = ADAM.Cfg
