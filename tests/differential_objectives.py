"""The jitted objectives and ``rmsprop_njit`` callers of ``test_differential.py``.

Kept apart from the table of configurations: Numba keys the disk cache of
these functions, and adaopt the cache of the drivers compiled for them, on
this file, so editing the table recompiles nothing.
"""

import numba
import numpy as np

import adaopt


@numba.njit(cache=True)
def quad_fg(x, d, c, wall):
    """``0.5 sum d (x - c)^2`` and its gradient ``d (x - c)``; NaN once ``x[0] > wall``.

    ``d`` and ``c`` have ``x``'s dtype, so a float32 run stays float32; a
    negative ``d`` makes it concave (for ``maximize``); a huge or tiny ``d``
    gives huge or tiny gradients.
    """
    r = x - c
    f = 0.5 * np.sum(d * r * r)
    if x[0] > wall:
        f = np.nan
    return f, d * r


@numba.njit(cache=True)
def quad_f(x, d, c, wall):
    """``quad_fg``'s value alone (for a separate ``jac``)."""
    return quad_fg(x, d, c, wall)[0]


@numba.njit(cache=True)
def quad_g(x, d, c, wall):
    """``quad_fg``'s gradient alone."""
    return quad_fg(x, d, c, wall)[1]


def py_quad_fg(x, d, c, wall):
    """A plain Python function (not jitted): multistart runs it in the Python driver."""
    return quad_fg(x, d, c, wall)


def py_quad_f(x, d, c, wall):
    return quad_f(x, d, c, wall)


def py_quad_g(x, d, c, wall):
    return quad_g(x, d, c, wall)


#: maxfev for rmsprop_njit when the configuration has none: the same run
#: (the iteration limit it implies is far beyond every maxiter here), and one
#: argument type for every call, so each caller compiles once per dtype.
NO_MAXFEV = 2**62


@numba.njit(cache=True)
def njit_fg(x0, d, c, wall, lower, upper, lr, rho, eps, momentum, nesterov, centered,
            weight_decay, decoupled_weight_decay, maximize, eps_in_sqrt,
            bias_correction, initial_scale, clip_value, clip_norm, maxiter, maxfev,
            gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running rmsprop_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.rmsprop_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr, rho=rho, eps=eps,
        momentum=momentum, nesterov=nesterov, centered=centered,
        weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize, eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction,
        initial_scale=initial_scale, clip_value=clip_value, clip_norm=clip_norm,
        maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_f_g(x0, d, c, wall, lower, upper, lr, rho, eps, weight_decay,
             decoupled_weight_decay, maximize, eps_in_sqrt, bias_correction,
             initial_scale, clip_value, clip_norm, maxiter, maxfev, gtol, ftol, xtol,
             lr_schedule):
    """The same with the separate ``quad_f`` and ``jac=quad_g``, in the plain
    flavour: constants, not arguments, for the options that pick it
    (``PLAIN_FIXED``), so one driver compiles, not four (``njit_fg``
    holds the choice of a flavour at run time)."""
    r = adaopt.rmsprop_njit(
        quad_f, x0, (d, c, wall), jac=quad_g, lower=lower, upper=upper, lr=lr,
        rho=rho, eps=eps, momentum=0.0, nesterov=False, centered=False,
        weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize, eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction,
        initial_scale=initial_scale, clip_value=clip_value, clip_norm=clip_norm,
        maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_fg_plain(x0, d, c, wall, lower, upper, lr, rho, eps, weight_decay,
                  decoupled_weight_decay, maximize, eps_in_sqrt, bias_correction,
                  initial_scale, clip_value, clip_norm, maxiter, maxfev, gtol, ftol,
                  xtol, lr_schedule):
    """``njit_fg`` in the plain flavour, as ``njit_f_g`` (for float32)."""
    r = adaopt.rmsprop_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr, rho=rho, eps=eps,
        momentum=0.0, nesterov=False, centered=False, weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
        eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction,
        initial_scale=initial_scale, clip_value=clip_value, clip_norm=clip_norm,
        maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


#: The options ``njit_f_g`` and ``njit_fg_plain`` fix, with their values.
PLAIN_FIXED = dict(momentum=0.0, nesterov=False, centered=False)


@numba.njit
def digest_probe(x):
    """Not cached: compiled afresh in each process (for the digest test).

    Its float constant appears nowhere else in this module: a constant shared
    with another function has a reference more, which hides the effect.
    """
    return 0.375 * np.sum(x * x), x.copy()


@numba.njit(cache=True)
def hp_sized_nan_fg(x, c):
    """``0.5 |x - c|^2``, allocating on each call an array of the size of
    rmsprop_njit's ``hp`` (16 float64) and filling it with NaN.

    Harmless for any correct optimizer; inside rmsprop_njit it lands in the
    freed ``hp`` block (see test_differential's xfail) and the run stops at
    ``x0`` with status 3.
    """
    junk = np.empty(16)
    junk[:] = np.nan
    r = x - c
    f = 0.5 * np.sum(r * r)
    if junk[3] == 1.0:      # never (NaN): keeps the allocation
        f += 1.0
    return f, r.copy()


@numba.njit(cache=True)
def njit_hp_sized_nan(x0, c, lr, maxiter):
    r = adaopt.rmsprop_njit(hp_sized_nan_fg, x0, (c,), lr=lr, maxiter=maxiter, gtol=0.0)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_adam_fg(x0, d, c, wall, lower, upper, lr, beta1, beta2, eps, weight_decay,
                 amsgrad, maximize, decoupled_weight_decay, eps_root, eps_hat, clip_value,
                 clip_norm, maxiter, maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running adam_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.adam_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr,
        betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay,
        eps_root=eps_root, eps_hat=eps_hat, clip_value=clip_value, clip_norm=clip_norm, maxiter=maxiter, maxfev=maxfev,
        gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_adamw_fg(x0, d, c, wall, lower, upper, lr, beta1, beta2, eps, weight_decay,
                  amsgrad, maximize, eps_root, eps_hat, clip_value, clip_norm, maxiter,
                  maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running adamw_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.adamw_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr,
        betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
        maximize=maximize, eps_root=eps_root, eps_hat=eps_hat, clip_value=clip_value, clip_norm=clip_norm, maxiter=maxiter,
        maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_adagrad_fg(x0, d, c, wall, lower, upper, lr, lr_decay, weight_decay,
                    initial_accumulator_value, eps, maximize, eps_in_sqrt, clip_value,
                    clip_norm, maxiter, maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running adagrad_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.adagrad_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr, lr_decay=lr_decay,
        weight_decay=weight_decay, initial_accumulator_value=initial_accumulator_value,
        eps=eps, maximize=maximize, eps_in_sqrt=eps_in_sqrt, clip_value=clip_value,
        clip_norm=clip_norm,
        maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_sgd_fg(x0, d, c, wall, lower, upper, lr, momentum, dampening, weight_decay,
                nesterov, maximize, lr_in_momentum, clip_value, clip_norm, maxiter,
                maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running sgd_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.sgd_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr, momentum=momentum,
        dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
        maximize=maximize, lr_in_momentum=lr_in_momentum, clip_value=clip_value,
        clip_norm=clip_norm, maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol,
        xtol=xtol, lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_adamax_fg(x0, d, c, wall, lower, upper, lr, beta1, beta2, eps, weight_decay,
                   maximize, clip_value, clip_norm, maxiter, maxfev, gtol, ftol, xtol,
                   lr_schedule):
    """A user's compiled function running adamax_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.adamax_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr,
        betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, maximize=maximize,
        clip_value=clip_value, clip_norm=clip_norm, maxiter=maxiter, maxfev=maxfev,
        gtol=gtol, ftol=ftol, xtol=xtol,
        lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_adadelta_fg(x0, d, c, wall, lower, upper, lr, rho, eps, weight_decay, maximize,
                     clip_value, clip_norm, maxiter, maxfev, gtol, ftol, xtol,
                     lr_schedule):
    """A user's compiled function running adadelta_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.adadelta_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr, rho=rho, eps=eps,
        weight_decay=weight_decay, maximize=maximize, clip_value=clip_value,
        clip_norm=clip_norm, maxiter=maxiter, maxfev=maxfev, gtol=gtol, ftol=ftol,
        xtol=xtol, lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_radam_fg(x0, d, c, wall, lower, upper, lr, beta1, beta2, eps, weight_decay,
                  decoupled_weight_decay, maximize, eps_root, eps_hat, threshold,
                  clip_value, clip_norm, maxiter, maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running radam_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.radam_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr,
        betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
        eps_root=eps_root, eps_hat=eps_hat, threshold=threshold,
        clip_value=clip_value, clip_norm=clip_norm, maxiter=maxiter, maxfev=maxfev,
        gtol=gtol, ftol=ftol, xtol=xtol, lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


@numba.njit(cache=True)
def njit_nadam_fg(x0, d, c, wall, lower, upper, lr, beta1, beta2, eps, weight_decay,
                  momentum_decay, decoupled_weight_decay, maximize, clip_value, clip_norm,
                  maxiter, maxfev, gtol, ftol, xtol, lr_schedule):
    """A user's compiled function running nadam_njit on ``quad_fg`` (jac=None)."""
    r = adaopt.nadam_njit(
        quad_fg, x0, (d, c, wall), lower=lower, upper=upper, lr=lr,
        betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize, clip_value=clip_value, clip_norm=clip_norm, maxiter=maxiter,
        maxfev=maxfev, gtol=gtol, ftol=ftol, xtol=xtol, lr_schedule=lr_schedule)
    return r.x, r.fun, r.nit, r.status


#: The callers of the methods other than RMSprop (combined f and g), by
#: method name; each takes the method's hyperparameters in the order of its
#: table (betas as two numbers), then the limits and the rule's block.
NJIT_CALLERS = {"adam": njit_adam_fg, "adamw": njit_adamw_fg, "adagrad": njit_adagrad_fg,
                "sgd": njit_sgd_fg, "adamax": njit_adamax_fg, "adadelta": njit_adadelta_fg,
                "radam": njit_radam_fg, "nadam": njit_nadam_fg}
