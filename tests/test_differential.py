"""Differential test: every front end of adaopt gives the same run, to the bit.

A table of configurations (every option of :class:`adaopt.RMSprop` alone and
combined, float32 and float64, vectors on both sides of
``adaopt.kernels.PARALLEL_THRESHOLD``, bounds, every schedule of
:mod:`adaopt.schedules`, and the edges: a gradient norm whose square
overflows, huge and tiny gradients, an objective that turns NaN after a few
steps, a zero gradient at ``x0``) runs through every front end:

``hand``
    a hand-written loop over :meth:`adaopt.RMSprop.step` that applies the
    stopping tests, in the order documented in :mod:`adaopt._iteration` (written
    here again, from the documentation, not taken from adaopt), and
    projects each step onto the bounds with ``np.minimum(np.maximum(x, lo),
    hi)``;
``python``, ``compiled``
    :func:`adaopt.minimize` with ``driver='python'`` and ``'compiled'``;
``scipy``
    ``scipy.optimize.minimize(..., method=adaopt.rmsprop, jac=True)`` (scipy
    hands over a memoizing wrapper, so this runs the Python driver; with
    ``driver='auto'``);
``multi_compiled``, ``multi_python``
    :func:`adaopt.multistart` with the jitted objective (the compiled,
    parallel-over-starts driver) and with a plain Python wrapper of it (the
    starts one after the other through the Python driver), from two starts:
    the configuration's ``x0`` and a second one, each compared with
    ``adaopt.minimize`` from that start alone (``multi_compiled`` on the rows
    of a few compiled builds: see ``MULTI_BUILDS_OF``);
``njit``
    :func:`adaopt.rmsprop_njit` called from the user's own
    ``@numba.njit(cache=True)`` function, with the row's feedback rule as
    the ``block()`` its ``lr_schedule`` takes.  A schedule ``t -> lr`` is
    Python code it cannot call, so the configurations with one leave it out.

Every row has a constant rate (``lr_schedule=None``) unless it says
otherwise: ``lr_schedule=DEFAULT`` leaves the option out, so that
``minimize``'s default policy runs (the hand loop applies the bold driver
as :class:`adaopt.schedules.bold_driver` documents it), and a
:class:`adaopt.schedules.plateau` row is applied there by the reference of
PyTorch's rule in ``reference.py``.

Each front end must return the ``x`` (values and dtype), ``fun`` (equal, or
both NaN), ``nit`` and ``status`` of ``adaopt.minimize(...,
driver='python')``, the reference.  This pins today's behaviour: any change
of the engine that changes one bit of one front end fails here.

Compilation dominates the run time.  Each compiled build a row takes
(:func:`_build`: the engine, flavour, kernel bodies, clip-norm preparation
and plateau rule :func:`adaopt._compiled_loop.build_of` names, with the dtype
and objective) costs a single-start driver's compile, about 4 s cold on the
2-core development VM, and ``multi_compiled`` a parallel multistart driver
more, so it runs the rows of a few builds only (:data:`MULTI_BUILDS_OF`);
an ``<method>_njit`` caller that takes the options picking the flavour as
arguments compiles every flavour of its dtype (15-40 s; see
:data:`FLOAT64_ONLY`).  So there are two objectives only (``quad_fg`` with ``jac=True`` for
nearly all rows, the pair ``quad_f``/``quad_g`` for a separate ``jac``),
everything else is passed through ``args`` and runtime options, the
``<method>_njit`` callers take every option as an argument (all of these live
in ``differential_objectives.py``, so that editing the table here does not
invalidate their disk cache), and a row takes a build another row already
takes unless what it tests needs its own (``test_the_table_compiles_few_drivers``
counts them).  All of it is cached on disk.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import Bounds

import adaopt
from adaopt import _feedback, kernels, schedules, status
from adaopt._objective_digest import objective_digest
from adaopt._compiled_loop import build_of
from adaopt._problem import METHODS, make_workspace, option_defaults, parse_problem
from adaopt._rmsprop import RMSPROP

#: The options of minimize with their defaults, and RMSprop's among them,
#: from the one description of the method.
OPTION_DEFAULTS = option_defaults(RMSPROP)
#: ``lr_schedule=DEFAULT`` in a row: leave the option out (minimize's default)
DEFAULT = OPTION_DEFAULTS["lr_schedule"]
from reference import BoldDriverReference, TorchPlateau
from differential_objectives import (NJIT_CALLERS, NO_MAXFEV, PLAIN_FIXED, digest_probe,
                                     hp_sized_nan_fg, njit_f_g, njit_fg, njit_fg_plain,
                                     njit_hp_sized_nan, py_quad_f, py_quad_fg, py_quad_g,
                                     quad_f, quad_fg, quad_g)


# -- the configurations --------------------------------------------------------------

D3 = [1.0, 10.0, 100.0]
C3 = [0.5, -1.0, 2.0]
X3 = [-1.2, 1.0, 0.3]
BIG_N = kernels.PARALLEL_THRESHOLD + 3616       # 20000: the parallel kernel's side
assert BIG_N > kernels.PARALLEL_THRESHOLD


def _big(seed):
    """``d, c, x0`` of length BIG_N (float64), reproducible."""
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.5, 50.0, BIG_N)
    c = rng.uniform(-2.0, 2.0, BIG_N)
    x0 = rng.uniform(-3.0, 3.0, BIG_N)
    return d, c, x0


def cfg(id, dtype=np.float64, d=D3, c=C3, x0=X3, wall=math.inf, bounds=None,
        jac="combined", method="rmsprop", **options):
    """One row of the table: ``options`` are minimize's (hyperparameters and limits)."""
    options.setdefault("lr", 0.01)
    options.setdefault("maxiter", 60)
    options.setdefault("lr_schedule", None)
    if options["lr_schedule"] is DEFAULT:
        del options["lr_schedule"]
    else:
        # a row of a constant rate or a schedule keeps the optimizer object's
        # defaults (as minimize did before its policy); the rows of the default
        # rule take the whole policy
        for name, value in METHODS[method].object_defaults_in_minimize.items():
            options.setdefault(name, value)
    unknown = set(options) - set(option_defaults(METHODS[method]))
    assert not unknown, unknown
    return pytest.param(dict(id=id, dtype=dtype, d=d, c=c, x0=x0, wall=wall,
                             bounds=bounds, jac=jac, method=method, options=options),
                        id=id)


def sgd(id, **kwargs):
    """A row of the table run with SGD (a smaller rate: the largest d is 100)."""
    kwargs.setdefault("lr", 0.005)
    return cfg(id, method="sgd", **kwargs)


def adam(id, **kwargs):
    """A row of the table run with Adam."""
    return cfg(id, method="adam", **kwargs)


BIG64 = _big(1)
BIG32 = _big(2)
# a long vector whose first element walks into the NaN wall after a few steps
BIG_WALL_C = BIG64[1].copy()
BIG_WALL_C[0] = BIG64[2][0] + 1.0
F32 = np.float32
HUGE32 = 1e18       # squares 1e36 < float32 max 3.4e38
OVER32 = 1e37       # squares overflow float32 (and the norm's square too)

#: The rule of the rows with ``clip_norm`` whose table needs both kernel
#: bodies, for the other methods than RMSprop: a plateau rule, so that
#: ``compiled`` runs the build the njit caller compiles anyway (it takes
#: clip_norm and the rule's block at run time: clip-norm preparation, the
#: plateau rule, both bodies), one driver's compile less per method.
NJIT_RULE = schedules.plateau(factor=0.5, patience=2)

CONFIGS = [
    # -- every option alone (float64, n = 3) --
    cfg("plain"),
    cfg("momentum", momentum=0.9),
    cfg("nesterov", momentum=0.9, nesterov=True),
    cfg("centered", centered=True),
    cfg("centered_momentum", centered=True, momentum=0.5),
    cfg("weight_decay", weight_decay=0.1),
    cfg("weight_decay_decoupled", weight_decay=0.1, decoupled_weight_decay=True),
    cfg("maximize_concave", d=[-1.0, -10.0, -100.0], maximize=True),
    cfg("eps_in_sqrt", eps_in_sqrt=True, eps=1e-4),
    cfg("bias_correction", bias_correction=True),
    cfg("initial_scale", initial_scale=1.0),
    cfg("clip_value", clip_value=5.0),
    cfg("clip_norm", clip_norm=1.0),
    cfg("rho_eps", rho=0.5, eps=1e-3, lr=0.05),
    cfg("rho_zero", rho=0.0),
    cfg("lr_zero", lr=0.0, maxiter=5),
    # every schedule
    cfg("sched_constant", lr_schedule=schedules.constant(0.01)),
    cfg("sched_exponential", lr_schedule=schedules.exponential_decay(0.05, 0.9, 3)),
    cfg("sched_exponential_staircase",
        lr_schedule=schedules.exponential_decay(0.05, 0.5, 7, staircase=True)),
    cfg("sched_step", lr_schedule=schedules.step_decay(0.05, 10, gamma=0.3)),
    cfg("sched_cosine", lr_schedule=schedules.cosine_decay(0.05, 40, alpha=0.1)),
    cfg("sched_warmup_cosine",
        lr_schedule=schedules.linear_warmup(schedules.cosine_decay(0.05, 30), 10,
                                            init_lr=0.001)),
    cfg("sched_warmup_constant", lr_schedule=schedules.linear_warmup(0.02, 5)),
    # the feedback rules: minimize's default policy, and the plateau rule
    cfg("rule_default", lr_schedule=DEFAULT, maxiter=300),
    cfg("rule_default_maximize", d=[-1.0, -10.0, -100.0], maximize=True,
        lr_schedule=DEFAULT, maxiter=300),
    cfg("rule_bold_driver_capped",
        lr_schedule=schedules.bold_driver(1.5, 0.3, min_lr=1e-3, max_lr=0.02),
        maxiter=300),
    cfg("rule_plateau", lr=0.05, maxiter=300,
        lr_schedule=schedules.plateau(factor=0.5, patience=3, cooldown=2, min_lr=1e-4)),
    # mode='max' on a falling f: every step is worse, so the rate keeps falling
    cfg("rule_plateau_max_abs", lr=0.05, maxiter=200,
        lr_schedule=schedules.plateau(mode="max", threshold_mode="abs", threshold=1e-3,
                                      patience=2)),
    cfg("f32_rule_default", dtype=F32, lr_schedule=DEFAULT, maxiter=300),
    # a rule in float32 in the plain flavour (njit_fg_plain runs it)
    cfg("f32_rule_bold_driver", dtype=F32, maxiter=300,
        lr_schedule=schedules.bold_driver(1.5, 0.3, min_lr=1e-3, max_lr=0.02)),
    cfg("rule_default_nan_after_steps", x0=[0.0, 1.0, 0.3], wall=0.3, lr=0.05,
        lr_schedule=DEFAULT),
    cfg("rule_default_gtol_converges", lr_schedule=DEFAULT, maxiter=5000, gtol=1e-8),
    # the other stopping tests
    cfg("maxfev", maxfev=17),
    cfg("ftol", ftol=2e-4, lr=1e-4, maxiter=500),
    cfg("xtol", xtol=1e-4, lr_schedule=schedules.exponential_decay(0.05, 0.8)),
    cfg("gtol_converges", lr_schedule=schedules.exponential_decay(0.05, 0.99),
        maxiter=5000, gtol=1e-6),
    cfg("maxiter_zero", maxiter=0),
    cfg("maxfev_one", maxfev=1),
    cfg("f32_ftol", dtype=F32, ftol=2e-4, lr=1e-4, maxiter=500),
    cfg("f32_xtol", dtype=F32, xtol=1e-4,
        lr_schedule=schedules.exponential_decay(0.05, 0.8)),
    cfg("separate_jac", jac="separate", weight_decay=0.01, clip_norm=2.0, lr=0.05),
    # -- combined --
    cfg("combo_all_float64", centered=True, momentum=0.9, nesterov=True,
        weight_decay=1e-2, bias_correction=True, clip_norm=3.0, clip_value=20.0,
        initial_scale=0.5, eps_in_sqrt=True, maxiter=120),
    cfg("combo_decoupled_schedule", weight_decay=0.05, decoupled_weight_decay=True,
        momentum=0.3, lr_schedule=schedules.cosine_decay(0.03, 80, alpha=0.05),
        bias_correction=True, maxiter=100),
    cfg("combo_maximize", d=[-1.0, -10.0, -100.0], maximize=True, centered=True,
        clip_value=30.0, clip_norm=40.0, weight_decay=1e-3, momentum=0.7, maxiter=80),
    # -- float32 --
    cfg("f32_plain", dtype=F32),
    cfg("f32_centered_momentum", dtype=F32, centered=True, momentum=0.5, rho=0.8),
    cfg("f32_centered_momentum_nesterov", dtype=F32, centered=True, momentum=0.9,
        nesterov=True),
    cfg("f32_clip_norm", dtype=F32, clip_norm=1.0),
    cfg("f32_decoupled_eps_in_sqrt", dtype=F32, weight_decay=0.1,
        decoupled_weight_decay=True, eps_in_sqrt=True),
    cfg("f32_maximize", dtype=F32, d=[-1.0, -10.0, -100.0], maximize=True,
        clip_value=10.0, initial_scale=1.0),
    cfg("f32_sched_warmup", dtype=F32,
        lr_schedule=schedules.linear_warmup(schedules.exponential_decay(0.05, 0.9), 8)),
    cfg("f32_combo_all", dtype=F32, centered=True, momentum=0.9, nesterov=True,
        weight_decay=1e-2, bias_correction=True, clip_norm=3.0, clip_value=20.0,
        initial_scale=0.5, eps_in_sqrt=True, maxiter=120),
    cfg("f32_gtol_converges", dtype=F32,
        lr_schedule=schedules.exponential_decay(0.05, 0.99), maxiter=3000, gtol=1e-4),
    # -- beyond PARALLEL_THRESHOLD: the Python driver and RMSprop.step take the
    # parallel kernel (and the parallel clip_norm sum), the compiled drivers the
    # serial one --
    cfg("big_f64_plain", d=BIG64[0], c=BIG64[1], x0=BIG64[2], maxiter=5),
    cfg("big_f32_plain", dtype=F32, d=BIG32[0], c=BIG32[1], x0=BIG32[2], maxiter=5),
    cfg("big_f64_clip_norm_centered_momentum", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=5, clip_norm=10.0, centered=True, momentum=0.9, bias_correction=True),
    cfg("big_f32_combo", dtype=F32, d=BIG32[0], c=BIG32[1], x0=BIG32[2], maxiter=5,
        centered=True, momentum=0.9, nesterov=True, clip_norm=10.0, clip_value=40.0,
        weight_decay=0.01, decoupled_weight_decay=True,
        lr_schedule=schedules.cosine_decay(0.1, 5)),
    cfg("big_f64_bounds", d=BIG64[0], c=BIG64[1], x0=np.clip(BIG64[2], -1.5, 1.0),
        bounds=(np.full(BIG_N, -1.5), np.full(BIG_N, 1.0)), maxiter=5, lr=0.5,
        centered=True),
    cfg("big_f64_overflowing_norm", d=BIG64[0] * 1e198, c=BIG64[1], x0=BIG64[2],
        maxiter=5, clip_norm=1.0, lr=0.1),
    # -- bounds --
    cfg("bounds_binding", x0=[-1.0, 1.0, 0.3], bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5]),
        lr=0.05, momentum=0.5),
    # the solution on the bounds: the projected gradient is 0 there (status 0)
    cfg("bounds_solution_on_bound", d=[1.0, 10.0], c=[2.0, -3.0], x0=[0.0, 0.0],
        bounds=([-1.0, -1.0], [1.0, 1.0]), lr=0.1, maxiter=200),
    cfg("bounds_on_bound_at_x0", d=[1.0, 10.0], c=[-2.0, 3.0], x0=[-1.0, 1.0],
        bounds=([-1.0, -1.0], [1.0, 1.0])),
    cfg("bounds_maximize_on_bound", d=[-1.0, -10.0], c=[2.0, -3.0], x0=[0.0, 0.0],
        bounds=([-1.0, -1.0], [1.0, 1.0]), lr=0.1, maxiter=200, maximize=True),
    cfg("f32_bounds_solution_on_bound", dtype=F32, d=[1.0, 10.0, 3.0],
        c=[2.0, -3.0, 0.25], x0=[0.0, 0.0, 0.0], bounds=([-1.0, -1.0, -1.0],
                                                         [0.75, 1.0, 1.0]),
        lr_schedule=schedules.exponential_decay(0.1, 0.97), maxiter=2000, gtol=1e-4),
    cfg("bounds_x0_outside", x0=[-3.0, 2.0, 0.3], bounds=([-1.0, -1.0, -1.0],
                                                         [1.0, 1.0, 1.0])),
    cfg("f32_bounds_x0_outside_momentum", dtype=F32, x0=[-3.0, 2.0, 0.3],
        bounds=([-1.0, -1.0, -0.1], [1.0, 1.0, 0.1]), centered=True, momentum=0.9),
    cfg("bounds_fixed_variable", bounds=([-1.0, 1.0, -5.0], [1.0, 1.0, 5.0]),
        clip_norm=1.0),
    # -- edges --
    # eps = 0 and one component of g exactly 0: 0 / sqrt(0)
    cfg("eps0_zero_component", x0=[-1.2, -1.0, 0.3], eps=0.0),
    cfg("big_f64_nan_after_steps", d=BIG64[0], c=BIG_WALL_C, x0=BIG64[2],
        wall=BIG64[2][0] + 0.1, maxiter=10),
    cfg("big_f32_maxfev_clip_norm", dtype=F32, d=BIG32[0], c=BIG32[1], x0=BIG32[2],
        maxfev=4, clip_norm=5.0, maxiter=10),
    # ||g||^2 overflows float64 (components ~1e200): clip_norm's overflow-safe rule
    cfg("overflowing_norm", d=[1e200, 3e199, 2e200], clip_norm=1.0, lr=0.1,
        maxiter=20, gtol=0.0),
    cfg("f32_overflowing_norm", dtype=F32, d=[OVER32, 3e36, 5e36], clip_norm=1.0,
        lr=0.1, maxiter=20, gtol=0.0),
    # huge but squarable gradients: normalized steps as usual
    cfg("huge_gradient", d=[1e150, 3e149, 2e150], maxiter=20),
    cfg("f32_huge_gradient", dtype=F32, d=[HUGE32, 3e17, 2e17], maxiter=20),
    # squares overflow: the second moment is inf, a non-finite update (status 3)
    cfg("huge_gradient_overflows", d=[1e170, 1.0, 1.0], maxiter=20),
    cfg("f32_huge_gradient_overflows", dtype=F32, d=[OVER32, 1.0, 1.0], maxiter=20),
    # tiny gradients: eps dominates (x barely moves), or eps=0 (normalized steps)
    cfg("tiny_gradient", d=[1e-200, 3e-201, 2e-200], gtol=0.0, maxiter=20),
    cfg("tiny_gradient_eps0", d=[1e-150, 3e-151, 2e-150], gtol=0.0, eps=0.0,
        maxiter=20),
    cfg("subnormal_gradient", d=[1e-310, 3e-311, 2e-310], gtol=0.0, maxiter=20),
    cfg("f32_tiny_gradient_eps0", dtype=F32, d=[1e-18, 3e-19, 2e-18], gtol=0.0,
        eps=0.0, maxiter=20),
    # f turns NaN after a few steps (x[0] crosses the wall): status 3, the last
    # finite iterate
    cfg("nan_after_steps", x0=[0.0, 1.0, 0.3], wall=0.3, lr=0.05),
    cfg("f32_nan_after_steps_centered_momentum", dtype=F32, x0=[0.0, 1.0, 0.3],
        wall=0.3, centered=True, momentum=0.9),
    cfg("nan_after_steps_schedule", x0=[0.0, 1.0, 0.3], wall=0.2,
        lr_schedule=schedules.step_decay(0.05, 3, gamma=0.9), bias_correction=True),
    cfg("nan_at_x0", x0=[0.5, 1.0, 0.3], wall=0.25),
    # a zero gradient at x0 (x0 = c): gtol stops at nit 0
    cfg("zero_gradient_at_x0", x0=C3),
    cfg("f32_zero_gradient_at_x0", dtype=F32, x0=C3, centered=True, momentum=0.9),
    cfg("big_f64_zero_gradient", d=BIG64[0], c=BIG64[1], x0=BIG64[1], maxiter=5),
    cfg("big_f64_rule_default", d=BIG64[0], c=BIG64[1], x0=BIG64[2], maxiter=8,
        lr_schedule=DEFAULT),
    # -- Adam: every option alone, combined, and the edges --
    adam("adam_plain"),
    adam("adam_betas", betas=(0.5, 0.9), lr=0.05),
    adam("adam_eps", eps=1e-3),
    # optax's and Keras' placements of eps (adamw's njit caller takes them too)
    adam("adam_eps_root", eps=1e-4, eps_root=1e-3),
    adam("adam_eps_hat_amsgrad", eps=1e-3, eps_hat=True, amsgrad=True, lr=0.05),
    cfg("adamw_eps_root_hat", method="adamw", eps=1e-3, eps_root=1e-4, eps_hat=True),
    adam("adam_weight_decay", weight_decay=0.1),
    adam("adam_decoupled", weight_decay=0.1, decoupled_weight_decay=True),
    adam("adam_amsgrad", amsgrad=True, lr=0.05),
    adam("adam_maximize_concave", d=[-1.0, -10.0, -100.0], maximize=True),
    adam("adam_clip_value", clip_value=5.0),
    adam("adam_clip_norm", clip_norm=1.0, lr_schedule=NJIT_RULE),
    adam("adam_schedule", lr_schedule=schedules.cosine_decay(0.05, 60)),
    adam("adam_rule_default", lr_schedule=DEFAULT, maxiter=200),
    adam("adam_bounds_binding", x0=[-1.0, 1.0, 0.3],
         bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5]), lr=0.05, amsgrad=True),
    adam("adam_maxfev_ftol", maxfev=30, ftol=1e-9, lr=0.05),
    adam("adam_nan_after_steps", x0=[0.0, 1.0, 0.3], wall=0.3, lr=0.05),
    adam("adam_overflowing_norm", d=[1e200, 3e199, 2e200], clip_norm=1.0, lr=0.1,
         maxiter=20, gtol=0.0, lr_schedule=NJIT_RULE),
    adam("adam_zero_gradient_at_x0", x0=C3),
    adam("f32_adam_combo", dtype=F32, weight_decay=0.05, decoupled_weight_decay=True,
         clip_value=2.0, clip_norm=3.0, betas=(0.8, 0.99), lr=0.02, maximize=False),
    adam("big_f64_adam", d=BIG64[0], c=BIG64[1], x0=BIG64[2], maxiter=10,
         clip_norm=5.0, lr_schedule=NJIT_RULE),
    # -- AdamW: Adam's engine with the decay always decoupled --
    cfg("adamw_plain", method="adamw"),
    cfg("adamw_rule_default", method="adamw", lr_schedule=DEFAULT),
    cfg("adamw_options", method="adamw", weight_decay=0.2, amsgrad=True, maximize=False,
        betas=(0.7, 0.95), eps=1e-6, clip_value=5.0, clip_norm=2.0, lr=0.05,
        bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("adamw_maximize_schedule", method="adamw", d=[-1.0, -10.0, -100.0],
        maximize=True, lr_schedule=schedules.linear_warmup(0.05, 10)),
    # -- SGD: no state, then every scalar option with the momentum buffer --
    sgd("sgd_plain"),
    sgd("sgd_rule_plateau", maxiter=200, momentum=0.5,
        lr_schedule=schedules.plateau(factor=0.5, patience=2)),
    sgd("sgd_options", d=[-1.0, -10.0, -100.0], maximize=True, momentum=0.9,
        dampening=0.1, weight_decay=0.1, clip_value=50.0, clip_norm=30.0),
    sgd("f32_sgd_nesterov", dtype=F32, momentum=0.9, nesterov=True, weight_decay=0.01,
        clip_norm=5.0),
    sgd("sgd_momentum_bounds_schedule", x0=[-1.0, 1.0, 0.3],
        bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5]), momentum=0.5,
        lr_schedule=schedules.cosine_decay(0.008, 60)),
    # Keras' form, the rate in the buffer: under a rule (njit too) and a schedule
    sgd("sgd_lr_in_momentum_nesterov_plateau", maxiter=200, momentum=0.9, nesterov=True,
        lr_in_momentum=True, lr_schedule=schedules.plateau(factor=0.5, patience=2)),
    sgd("sgd_lr_in_momentum_schedule", momentum=0.9, lr_in_momentum=True,
        lr_schedule=schedules.step_decay(0.005, 20, gamma=0.5)),
    # -- Adagrad: plain, every scalar option, float32, lr_decay on a schedule --
    cfg("adagrad_plain", method="adagrad", lr=0.1),
    cfg("adagrad_rule_default", method="adagrad", lr=0.1, lr_schedule=DEFAULT),
    cfg("adagrad_eps_in_sqrt", method="adagrad", lr=0.1, eps=1e-3, eps_in_sqrt=True,
        initial_accumulator_value=0.1),
    cfg("adagrad_options", method="adagrad", d=[-1.0, -10.0, -100.0], maximize=True,
        lr=0.2, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.1,
        eps=1e-6, clip_value=5.0, bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("f32_adagrad_combo", method="adagrad", dtype=F32, lr=0.05, lr_decay=0.1,
        weight_decay=0.05, clip_norm=3.0, initial_accumulator_value=0.5),
    cfg("adagrad_lr_decay_schedule", method="adagrad", lr_decay=0.1,
        lr_schedule=schedules.step_decay(0.2, 10, gamma=0.5)),
    cfg("big_f64_adagrad", method="adagrad", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=10, lr=0.1, lr_decay=0.1, clip_norm=5.0, lr_schedule=NJIT_RULE),
    # -- Adamax: plain, every scalar option, float32, a schedule, parallel --
    cfg("adamax_plain", method="adamax", lr=0.05),
    cfg("adamax_rule_default", method="adamax", lr=0.05, lr_schedule=DEFAULT),
    cfg("adamax_options", method="adamax", d=[-1.0, -10.0, -100.0], maximize=True,
        lr=0.1, betas=(0.7, 0.95), eps=1e-6, weight_decay=0.02, clip_value=5.0,
        clip_norm=2.0, bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("f32_adamax_combo", method="adamax", dtype=F32, lr=0.02, betas=(0.8, 0.99),
        weight_decay=0.05, clip_value=2.0, clip_norm=3.0),
    cfg("adamax_schedule", method="adamax",
        lr_schedule=schedules.exponential_decay(0.1, 0.97)),
    cfg("big_f64_adamax", method="adamax", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=10, lr=0.05, clip_norm=5.0, lr_schedule=NJIT_RULE),
    # -- Adadelta: plain, every scalar option, a schedule, parallel; float64
    # only (its float32 steps are held to the reference in test_adadelta, and
    # each dtype here costs two drivers and an njit caller more) --
    cfg("adadelta_plain", method="adadelta", lr=1.0),
    # the rule raises the rate from 0.3 (its cap is 1000 times that)
    cfg("adadelta_rule_default", method="adadelta", lr=0.3, lr_schedule=DEFAULT,
        maxiter=100),
    cfg("adadelta_options", method="adadelta", d=[-1.0, -10.0, -100.0], maximize=True,
        lr=2.0, rho=0.8, eps=1e-4, weight_decay=0.02, clip_value=5.0, clip_norm=2.0,
        bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("adadelta_schedule", method="adadelta",
        lr_schedule=schedules.exponential_decay(3.0, 0.97)),
    cfg("big_f64_adadelta", method="adadelta", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=10, lr=1.0, clip_norm=5.0, lr_schedule=NJIT_RULE),
    # -- RAdam: plain, every scalar option, decoupled decay on a schedule,
    # parallel; float64 only (as Adadelta).  Every row runs past step 5, so
    # both the unrectified and the rectified steps are in it; the first five
    # are momentum SGD on the raw gradient, so lr * max(d) stays below 2 --
    cfg("radam_plain", method="radam"),
    cfg("radam_rule_default", method="radam", lr_schedule=DEFAULT),
    cfg("radam_options", method="radam", d=[-1.0, -10.0, -100.0], maximize=True,
        lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.02, clip_value=5.0,
        bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("radam_decoupled_schedule", method="radam", weight_decay=0.1,
        decoupled_weight_decay=True, lr_schedule=schedules.exponential_decay(0.015, 0.98)),
    # optax's radam (eps on the bias-corrected root, eps_root, its threshold),
    # and eps_root under PyTorch's eps with a late switch (rectified from step 21)
    cfg("radam_optax", method="radam", betas=(0.8, 0.99), eps=1e-3, eps_root=1e-4,
        eps_hat=False, threshold=4.5),
    cfg("radam_eps_root_threshold", method="radam", eps=1e-3, eps_root=1e-3,
        threshold=20.0),
    cfg("big_f64_radam", method="radam", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=10, lr=0.02, clip_norm=5.0, lr_schedule=NJIT_RULE),
    # -- NAdam: plain, the default rule, every scalar option, decoupled decay
    # on a schedule, parallel; float64 only (as Adadelta).  Every front end
    # carries the schedule's running product in its own hp table --
    cfg("nadam_plain", method="nadam"),
    cfg("nadam_rule_default", method="nadam", lr_schedule=DEFAULT),
    cfg("nadam_options", method="nadam", d=[-1.0, -10.0, -100.0], maximize=True,
        lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.02, momentum_decay=0.05,
        clip_value=5.0, clip_norm=2.0, bounds=([-1.0, -0.5, -np.inf], [0.25, np.inf, 1.5])),
    cfg("nadam_decoupled_schedule", method="nadam", weight_decay=0.1,
        decoupled_weight_decay=True, lr_schedule=schedules.exponential_decay(0.02, 0.98)),
    cfg("big_f64_nadam", method="nadam", d=BIG64[0], c=BIG64[1], x0=BIG64[2],
        maxiter=10, lr=0.02, clip_norm=5.0, lr_schedule=NJIT_RULE),
]

FRONT_ENDS = ("hand", "compiled", "scipy", "multi_compiled",
              "multi_python", "njit")

#: The front ends that run the other methods' float32 rows not at all, and
#: RMSprop's in the plain flavour only (``njit_fg_plain``, one driver where
#: ``njit_fg``, which chooses the flavour at run time, compiles four): each
#: such method and dtype costs an njit caller's compile of 15-40 s for what
#: no other row covers less.  Its code is the same template for every method
#: and dtype (the dtype handling of the njit entry is RMSprop's float32
#: rows'), each method's float32 arithmetic is held to its reference in
#: tests/test_<method>.py and to the other front ends by the float32 rows of
#: ``hand``, ``compiled``, ``scipy`` and ``multi_python``.  (``multi_compiled``
#: runs no such row either: see MULTI_BUILDS_OF.)
FLOAT64_ONLY = ("njit",)

#: The rows whose compiled builds (:func:`_build`) ``multi_compiled`` runs:
#: those rows and every other row of the same build.  The multistart
#: driver is one template around the single-start driver
#: (:func:`adaopt._compiled_loop.get_driver`), so what the build changes
#: (flavour, bodies, clip-norm preparation, plateau rule) is in the
#: single-start driver, which ``compiled`` runs for every row; each further
#: build here would add a parallel multistart driver's compile (3-5 s cold)
#: and test that template nothing new.  RMSprop's rows cover the
#: template's own cases (bounds, NaN, every stopping test, both dtypes, a
#: separate ``jac``, clip_norm, the plateau rule), each other method's
#: ``<method>_plain`` its engine.
MULTI_BUILDS_OF = ("plain", "f32_plain", "f32_centered_momentum", "clip_norm",
                   "combo_all_float64", "rule_plateau", "separate_jac", "adam_plain",
                   "sgd_plain", "adagrad_plain", "adamax_plain", "adadelta_plain",
                   "radam_plain", "nadam_plain")

#: Known discrepancies: ``(config id, front end) -> reason`` (strict xfail).
KNOWN = {}


# -- building the inputs of one configuration ---------------------------------------

def _inputs(c):
    dt = c["dtype"]
    x0 = np.array(c["x0"], dtype=dt)
    args = (np.array(c["d"], dtype=dt), np.array(c["c"], dtype=dt), float(c["wall"]))
    bounds = None
    if c["bounds"] is not None:
        lo, hi = (np.array(b, dtype=np.float64) for b in c["bounds"])
        bounds = (lo, hi)
    return x0, args, bounds


def _second_start(x0, bounds):
    """The second row of the multistart: another start, in the bounds."""
    x1 = (x0 * np.asarray(0.5, x0.dtype) + np.asarray(0.25, x0.dtype)).astype(x0.dtype)
    if bounds is not None:
        x1 = np.minimum(np.maximum(x1, bounds[0].astype(x0.dtype)),
                        bounds[1].astype(x0.dtype))
    return x1


def _funs(c, python=False):
    """``(fun, jac)`` for minimize: jitted (or Python wrappers of them)."""
    if c["jac"] == "combined":
        return (py_quad_fg if python else quad_fg), True
    return (py_quad_f, py_quad_g) if python else (quad_f, quad_g)


def _build(c):
    """The compiled build that runs the row ``c``: what
    :func:`adaopt._compiled_loop.build_of` names (the engine, not the method:
    Adam and AdamW share theirs), with the dtype and the objective.  Each
    build is one single-start driver's compile (about 4 s cold), more where
    the Python driver's loops differ too.  Nothing compiles here.
    """
    x0, args, bounds = _inputs(c)
    fun, jac = _funs(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # an x0 outside the bounds
        problem = parse_problem(fun, x0, args, method=c["method"], jac=jac,
                                bounds=None if bounds is None else Bounds(*bounds),
                                options=dict(c["options"]))
    build = build_of(problem, make_workspace(problem))
    return (build["method"].engine, build["flavour"], build["clips"], build["plateau"],
            build["bodies"], x0.dtype.name, c["jac"])


def _minimize(c, x0, driver="python"):
    _, args, bounds = _inputs(c)
    fun, jac = _funs(c)
    return adaopt.minimize(fun, x0, args=args, jac=jac, method=c["method"],
                           bounds=None if bounds is None else Bounds(*bounds),
                           options=dict(c["options"], driver=driver))


_references = {}


def reference(c):
    """``adaopt.minimize(..., driver='python')`` from the configuration's x0 (once)."""
    key = c["id"]
    if key not in _references:
        x0, _, _ = _inputs(c)
        _references[key] = _minimize(c, x0)
    return _references[key]


def _summary(x, fun, nit, code):
    return dict(x=np.asarray(x), fun=float(fun), nit=int(nit), status=int(code))


def _of(res):
    return _summary(res.x, res.fun, res.nit, res.status)


def assert_same(got, ref, what):
    x, rx = got["x"], ref["x"]
    assert x.dtype == rx.dtype, f"{what}: dtype {x.dtype} != {rx.dtype}"
    assert x.shape == rx.shape, f"{what}: shape {x.shape} != {rx.shape}"
    if not np.array_equal(x, rx):
        bad = np.flatnonzero(x != rx)
        raise AssertionError(f"{what}: x differs in {bad.size} element(s), first "
                             f"[{bad[0]}]: {x[bad[0]]!r} != {rx[bad[0]]!r} (nit "
                             f"{got['nit']} vs {ref['nit']}, status {got['status']} "
                             f"vs {ref['status']}, fun {got['fun']!r} vs {ref['fun']!r})")
    f, rf = got["fun"], ref["fun"]
    assert f == rf or (math.isnan(f) and math.isnan(rf)), f"{what}: fun {f!r} != {rf!r}"
    assert got["nit"] == ref["nit"], f"{what}: nit {got['nit']} != {ref['nit']}"
    assert got["status"] == ref["status"], \
        f"{what}: status {got['status']} != {ref['status']}"


# -- the front ends -----------------------------------------------------------------

def run_hand(c):
    """A hand loop over RMSprop.step with the stopping tests of adaopt._iteration."""
    x0, args, bounds = _inputs(c)
    opts = c["options"]
    method = METHODS[c["method"]]
    # minimize's defaults (its policy's among them) where the row says nothing
    hyper = {**method.minimize_defaults,
             **{k: v for k, v in opts.items() if k in method.minimize_defaults}}
    limits = dict(OPTION_DEFAULTS, **opts)
    schedule = limits["lr_schedule"]
    rule = None
    if isinstance(schedule, schedules.FeedbackRule):
        rule = _hand_rule(schedule, hyper.get("lr", OPTION_DEFAULTS["lr"]),
                          -1.0 if hyper.get("maximize", False) else 1.0)
    elif schedule is not None:
        hyper["lr_schedule"] = schedule
    gtol, ftol, xtol, maxiter = (limits[k] for k in ("gtol", "ftol", "xtol", "maxiter"))
    kfev = math.inf if limits["maxfev"] is None else max(limits["maxfev"] - 1, 0)
    sign = -1.0 if hyper.get("maximize", False) else 1.0
    fun, jac = _funs(c)
    if jac is True:
        def evaluate(x):
            return fun(x.copy(), *args)
    else:
        def evaluate(x):
            return fun(x.copy(), *args), jac(x.copy(), *args)

    x = x0.copy()
    if bounds is not None:
        lo, hi = (b.astype(x.dtype) for b in bounds)
        x[:] = np.minimum(np.maximum(x, lo), hi)   # minimize clips x0 into the box
    # the optimizer class is named by the method's title (test_design checks it)
    opt = getattr(adaopt, METHODS[c["method"]].title)(x, **hyper)
    k, fprev, xprev = 0, math.nan, None
    f, g = evaluate(x)
    while True:
        f = float(f)
        g = np.ascontiguousarray(g, dtype=x.dtype)
        # 1. non-finite f or g: the previous iterate
        if not (math.isfinite(f) and np.isfinite(g).all()):
            if k == 0:
                return _summary(x, f, 0, status.NONFINITE)
            return _summary(xprev, fprev, k - 1, status.NONFINITE)
        # 3. gtol, on the projected gradient
        gabs = np.abs(g.astype(np.float64))
        if bounds is not None:
            gs = sign * g
            gabs[((gs > 0) & (x <= lo)) | ((gs < 0) & (x >= hi))] = 0.0
        if gabs.max() <= gtol:
            return _summary(x, f, k, status.GTOL)
        if k > 0:
            # 4. ftol, 5. xtol
            if ftol > 0 and abs(fprev - f) <= ftol * max(abs(fprev), abs(f), 1.0):
                return _summary(x, f, k, status.FTOL)
            step = np.abs(x.astype(np.float64) - xprev.astype(np.float64)).max()
            if xtol > 0 and step <= xtol:
                return _summary(x, f, k, status.XTOL)
        # 6. maxiter, 7. maxfev
        if k >= maxiter:
            return _summary(x, f, k, status.MAXITER)
        if k >= kfev:
            return _summary(x, f, k, status.MAXFEV)
        # 8. the step, projected, at the rule's rate
        if rule is not None:
            opt.lr = rule(f)
        xprev, fprev = x.copy(), f
        try:
            opt.step(g)
        except adaopt.NonFiniteUpdateError:
            x[:] = xprev
            return _summary(x, f, k, status.NONFINITE)
        if bounds is not None:
            x[:] = np.minimum(np.maximum(x, lo), hi)
        k += 1
        f, g = evaluate(x)


def _hand_rule(rule, lr, sign):
    """``feed(f) -> lr`` of the next step: the rule as documented, written again
    (``reference.py``: the bold driver of its docstring, PyTorch's plateau
    code), fed with ``sign * f``."""
    if isinstance(rule, schedules.plateau):
        text = repr(rule)[len("plateau("):-1]
        ref = TorchPlateau(lr, **eval(f"dict({text})"))
    else:
        ref = BoldDriverReference(lr, rule.increase, rule.decrease, rule.min_lr,
                                  rule.max_lr, rule.max_growth)

    def feed(f):
        ref.step(sign * f)
        return ref.lr
    return feed


def run_scipy(c):
    x0, args, bounds = _inputs(c)
    fun, jac = _funs(c)
    res = scipy.optimize.minimize(fun, x0, args=args, jac=jac,
                                  method=getattr(adaopt, c["method"]),
                                  bounds=None if bounds is None else Bounds(*bounds),
                                  options=dict(c["options"]))
    return _of(res)


def run_multistart(c, python):
    """Both rows of a multistart; each compared with minimize from that row."""
    x0, args, bounds = _inputs(c)
    fun, jac = _funs(c, python=python)
    x0s = np.array([x0, _second_start(x0, bounds)])
    res = adaopt.multistart(fun, x0s, args=args, jac=jac, method=c["method"],
                            bounds=None if bounds is None else Bounds(*bounds),
                            options=dict(c["options"],
                                         driver="python" if python else "compiled"))
    assert len(res.results) == 2
    return [_of(r) for r in res.results], x0s


def _njit_arguments(method, o, fixed=()):
    """``method``'s hyperparameters in the order of its table (a pair as its
    two numbers), but those the caller ``fixed``, then the limits, as a
    caller's arguments: None (off) is inf, maxfev None the large NO_MAXFEV."""
    out = []
    for h in method.hyperparameters:
        if h.in_minimize and not h.fixed and h.name not in fixed:
            value = o[h.name]
            out += ([bool(value)] if h.kind == "bool" else
                    [float(v) for v in value] if h.kind == "pair" else   # betas
                    [math.inf if value is None else float(value)])
    return out + [int(o["maxiter"]), NO_MAXFEV if o["maxfev"] is None else int(o["maxfev"]),
                  float(o["gtol"]), float(o["ftol"]), float(o["xtol"])]


def _plain_flavour(options):
    """Whether RMSprop's ``options`` (over its defaults) pick the flavour
    ``njit_fg_plain`` and ``njit_f_g`` fix."""
    return all(options.get(k, OPTION_DEFAULTS[k]) == v for k, v in PLAIN_FIXED.items())


def run_njit(c):
    x0, args, bounds = _inputs(c)
    o = dict(option_defaults(METHODS[c["method"]]), **c["options"])
    rule = o["lr_schedule"]
    block = (_feedback.rule_block(_feedback.CONSTANT) if rule is None else rule.block())
    n = x0.size
    lower, upper = bounds if bounds is not None else (np.full(n, -np.inf),
                                                      np.full(n, np.inf))
    fixed = {}
    if c["method"] == "rmsprop":
        caller = njit_fg
        if c["jac"] == "separate" or c["dtype"] != np.float64:
            caller = njit_f_g if c["jac"] == "separate" else njit_fg_plain
            fixed = PLAIN_FIXED
            assert _plain_flavour(o), f"{caller.__name__} fixes {fixed}"
    else:
        assert c["jac"] == "combined"
        caller = NJIT_CALLERS[c["method"]]
    x, f, nit, code = caller(x0, *args, lower, upper,
                             *_njit_arguments(METHODS[c["method"]], o, fixed), block)
    return _summary(x, f, nit, code)


def _cases():
    by_id = {p.values[0]["id"]: p.values[0] for p in CONFIGS}
    multi_builds = {_build(by_id[name]) for name in MULTI_BUILDS_OF}
    for p in CONFIGS:
        c = p.values[0]
        for front in FRONT_ENDS:
            if front == "multi_compiled" and _build(c) not in multi_builds:
                continue        # see MULTI_BUILDS_OF
            schedule = c["options"].get("lr_schedule")
            if front == "njit" and not (schedule is None
                                        or isinstance(schedule, schedules.FeedbackRule)):
                continue        # a schedule t -> lr is Python: not for njit code
            if front in FLOAT64_ONLY and c["dtype"] != np.float64 and (
                    c["method"] != "rmsprop" or not _plain_flavour(c["options"])):
                continue        # see FLOAT64_ONLY
            marks = ()
            if (c["id"], front) in KNOWN:
                marks = pytest.mark.xfail(strict=True, reason=KNOWN[c["id"], front])
            yield pytest.param(c, front, id=f"{c['id']}-{front}", marks=marks)


@pytest.mark.filterwarnings("ignore:Initial guess is not within")
@pytest.mark.filterwarnings("ignore:Some starting points are not within")
@pytest.mark.parametrize("c, front", list(_cases()))
def test_front_end_matches_minimize_python(c, front):
    ref = _of(reference(c))
    if front == "hand":
        assert_same(run_hand(c), ref, "hand loop")
    elif front == "compiled":
        x0, _, _ = _inputs(c)
        assert_same(_of(_minimize(c, x0, "compiled")), ref, "minimize compiled")
    elif front == "scipy":
        assert_same(run_scipy(c), ref, f"scipy.optimize.minimize(method=adaopt.{c['method']})")
    elif front in ("multi_compiled", "multi_python"):
        rows, x0s = run_multistart(c, python=front == "multi_python")
        assert_same(rows[0], ref, f"{front} row 0")
        assert_same(rows[1], _of(_minimize(c, x0s[1])), f"{front} row 1")
    else:
        assert_same(run_njit(c), ref, f"{c['method']}_njit")


# -- the table covers what it says ----------------------------------------------------

def test_the_table_covers_every_option_schedule_and_edge():
    configs = [p.values[0] for p in CONFIGS]
    assert len(configs) >= 40
    for name, method in METHODS.items():
        used = set()
        for c in configs:
            if c["method"] == name:
                # an option is used when it is on, or off where it is on by
                # default (RAdam's eps_hat)
                defaults = method.minimize_defaults
                used |= {k for k, v in c["options"].items() if k in defaults
                         and (v not in (None, False, 0.0) or v != defaults[k])}
        want = set(method.minimize_defaults) - {"lr"}
        assert used >= want, (name, want - used)
    kinds = {type(c["options"].get("lr_schedule", DEFAULT)) for c in configs}
    assert kinds >= {getattr(schedules, name) for name in schedules.__all__
                     if name not in ("Schedule", "ReduceLROnPlateau", "FeedbackRule")}
    assert {c["dtype"] for c in configs} == {np.float32, np.float64}
    sizes = {np.size(c["x0"]) for c in configs}
    assert min(sizes) <= kernels.PARALLEL_THRESHOLD < max(sizes)
    assert any(c["bounds"] is not None for c in configs)


def test_the_table_compiles_few_drivers():
    # each build is a cold compile of a few seconds (see _build and
    # MULTI_BUILDS_OF): a row that adds one should have a reason to
    cases = [p.values for p in _cases()]
    singles = {_build(c) for c, front in cases if front == "compiled"}
    multis = {_build(c) for c, front in cases if front == "multi_compiled"}
    assert multis <= singles
    assert len(multis) == len(MULTI_BUILDS_OF) == 14
    per_engine = {}
    for build in singles:
        per_engine[build[0]] = per_engine.get(build[0], 0) + 1
    # RMSprop: four flavours, both dtypes, every body, the plateau rule and a
    # separate jac; the others: plain, general and both bodies, with and
    # without clip_norm (two flavours for Adam's amsgrad and SGD's momentum)
    assert per_engine == dict(rmsprop=16, adam=6, sgd=5, adagrad=4, adamax=4,
                              adadelta=3, radam=3, nadam=3), per_engine


def test_the_edges_end_as_they_should():
    """The reference runs of the edge rows reach the status they are there for
    (else the row tests nothing of its edge)."""
    by_id = {p.values[0]["id"]: p.values[0] for p in CONFIGS}
    expect = {
        "bounds_solution_on_bound": (status.GTOL, None),
        "bounds_on_bound_at_x0": (status.GTOL, 0),
        "bounds_maximize_on_bound": (status.GTOL, None),
        "f32_bounds_solution_on_bound": (status.GTOL, None),
        "gtol_converges": (status.GTOL, None),
        "f32_gtol_converges": (status.GTOL, None),
        "maxfev": (status.MAXFEV, 16),
        "maxfev_one": (status.MAXFEV, 0),
        "maxiter_zero": (status.MAXITER, 0),
        "big_f32_maxfev_clip_norm": (status.MAXFEV, 3),
        "big_f64_nan_after_steps": (status.NONFINITE, None),
        "f32_ftol": (status.FTOL, None),
        "f32_xtol": (status.XTOL, None),
        "ftol": (status.FTOL, None),
        "xtol": (status.XTOL, None),
        "overflowing_norm": (status.MAXITER, 20),
        "f32_overflowing_norm": (status.MAXITER, 20),
        "big_f64_overflowing_norm": (status.MAXITER, 5),
        "huge_gradient": (status.MAXITER, 20),
        "f32_huge_gradient": (status.MAXITER, 20),
        "huge_gradient_overflows": (status.NONFINITE, 0),
        "f32_huge_gradient_overflows": (status.NONFINITE, 0),
        "tiny_gradient": (status.MAXITER, 20),
        "tiny_gradient_eps0": (status.MAXITER, 20),
        "subnormal_gradient": (status.MAXITER, 20),
        "f32_tiny_gradient_eps0": (status.MAXITER, 20),
        "nan_after_steps": (status.NONFINITE, None),
        "f32_nan_after_steps_centered_momentum": (status.NONFINITE, None),
        "nan_after_steps_schedule": (status.NONFINITE, None),
        "nan_at_x0": (status.NONFINITE, 0),
        # 0 / (sqrt(0) + 0) is a non-finite update: x0 kept, status 3
        "eps0_zero_component": (status.NONFINITE, 0),
        "zero_gradient_at_x0": (status.GTOL, 0),
        "f32_zero_gradient_at_x0": (status.GTOL, 0),
        "big_f64_zero_gradient": (status.GTOL, 0),
    }
    for key, (code, nit) in expect.items():
        res = reference(by_id[key])
        assert res.status == code, (key, res.status, res.message)
        if nit is not None:
            assert res.nit == nit, (key, res.nit)
        if code == status.NONFINITE and nit is None:
            assert 1 <= res.nit < by_id[key]["options"]["maxiter"], (key, res.nit)
        if code in (status.GTOL,) and nit is None:
            assert res.nit > 0, key
    # the runs that must move did move, and finitely
    for key in ("overflowing_norm", "f32_overflowing_norm", "huge_gradient",
                "tiny_gradient_eps0", "f32_tiny_gradient_eps0",
                "big_f64_overflowing_norm"):
        res = reference(by_id[key])
        x0 = np.asarray(by_id[key]["x0"], dtype=res.x.dtype)
        assert np.isfinite(res.x).all() and np.abs(res.x - x0).max() > 0.05, key
    # on the bound: exactly there
    res = reference(by_id["bounds_solution_on_bound"])
    np.testing.assert_array_equal(res.x, [1.0, -1.0])
    # the scipy front end really took the custom method and kept float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run_scipy(by_id["f32_plain"])
    assert got["x"].dtype == np.float32


# -- found while measuring this file's cold run ----------------------------------------

def test_objective_digest_does_not_depend_on_compiling_the_objective():
    before = objective_digest(digest_probe, None)
    digest_probe(np.ones(2))            # compiles it afresh (not cached)
    assert objective_digest(digest_probe, None) == before


def test_rmsprop_njit_with_an_objective_that_allocates_matches_minimize():
    x0 = np.array(X3)
    c = np.array(C3)
    ref = adaopt.minimize(hp_sized_nan_fg, x0, args=(c,), jac=True,
                          options=dict(lr=0.01, maxiter=50, gtol=0.0, driver="python"))
    assert ref.status == status.MAXITER and ref.nit == 50
    got = _summary(*njit_hp_sized_nan(x0, c, 0.01, 50))
    assert_same(got, _of(ref), "rmsprop_njit with an allocating objective")


def test_the_njit_entry_refuses_an_lr_schedule_block_of_the_wrong_length():
    # the same caller as the table's rows (no new compilation): a rule's
    # block() has one length; anything else is a ValueError naming lr_schedule
    c = CONFIGS[0].values[0]
    x0, args, _ = _inputs(c)
    o = dict(OPTION_DEFAULTS, **c["options"])
    n = x0.size
    with pytest.raises(ValueError, match="lr_schedule"):
        njit_fg(x0, *args, np.full(n, -np.inf), np.full(n, np.inf), float(o["lr"]),
                float(o["rho"]), float(o["eps"]), float(o["momentum"]),
                bool(o["nesterov"]), bool(o["centered"]), float(o["weight_decay"]),
                bool(o["decoupled_weight_decay"]), bool(o["maximize"]),
                bool(o["eps_in_sqrt"]), bool(o["bias_correction"]),
                float(o["initial_scale"]), math.inf, math.inf, int(o["maxiter"]),
                NO_MAXFEV, float(o["gtol"]), float(o["ftol"]), float(o["xtol"]),
                np.zeros(3))
