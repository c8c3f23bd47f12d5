r"""The optimizer objects, one class per method description.

Each class is its documentation and two attributes: the method description
(:mod:`adaopt._method`) and the hyperparameters it takes by position.  The
signature, checks, state and step come from :class:`adaopt.Optimizer`.
"""

from ._adadelta import ADADELTA
from ._adagrad import ADAGRAD
from ._adam import ADAM, ADAMW
from ._adamax import ADAMAX
from ._nadam import NADAM
from ._optimizer import Optimizer
from ._radam import RADAM
from ._rmsprop import RMSPROP
from ._sgd import SGD_METHOD

__all__ = ["RMSprop", "Adam", "AdamW", "Adagrad", "SGD", "Adamax", "Adadelta",
           "RAdam", "NAdam", "OPTIMIZERS"]


class RMSprop(Optimizer):
    r"""RMSprop over a flat parameter vector, updated in place.

    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        v     = rho * v + (1 - rho) * g**2       v starts at initial_scale
        m     = rho * m + (1 - rho) * g          centered (m starts at 0)
        s     = max(v - m**2, 0)                 centered; else s = v
                (v and m divided by 1 - rho**t)  bias_correction
        u     = g / (sqrt(s) + eps)              eps_in_sqrt: g / sqrt(s + eps)
        b     = momentum * b + u;  u = b         momentum (b starts at 0)
                nesterov: u = u + momentum * b
        theta = theta - lr * weight_decay * theta    decoupled_weight_decay
        theta = theta - lr * u

    The same rule typeset, with where it comes from, is in the theory page
    of the documentation.

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
        float32 stays float32: every scalar is rounded to the array's dtype.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    rho : float, default 0.9
        Decay of the moving averages, ``0 <= rho < 1`` (PyTorch's ``alpha``,
        optax's ``decay``).  0.9 is Hinton's value and Keras' default.
    eps : float, default 1e-8
        Added to the denominator, ``>= 0``.
    momentum : float, default 0
        Momentum ``>= 0``; the buffer holds ``g/d`` and ``lr`` is
        applied after it, as in PyTorch.
    nesterov : bool, default False
        Nesterov momentum as in optax (needs ``momentum > 0``).
    centered : bool, default False
        Divide by an estimate of the gradient's variance instead of its second
        moment.  The variance is clamped at 0, so rounding cannot make it
        negative (PyTorch and optax can return NaN there).
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled), or
        applied to the parameters directly when ``decoupled_weight_decay``.
    decoupled_weight_decay : bool, default False
        Keras-style decoupled weight decay ``theta -= lr * weight_decay * theta``.
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    eps_in_sqrt : bool, default False
        Put ``eps`` inside the square root, as optax and Keras do.
    bias_correction : bool, default False
        Divide the averages by ``1 - rho**t``, as optax's
        ``bias_correction=True``.
    initial_scale : float, default 0
        Starting value ``v0 >= 0`` of the second moment (TF1's
        ``RMSPropOptimizer`` uses 1).
    clip_value : float, optional
        Clip each gradient element to ``[-clip_value, clip_value]``.
    clip_norm : float, optional
        Rescale the gradient so its global L2 norm is at most ``clip_norm``
        (after ``clip_value``).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    nonfinite : {'raise', 'skip', 'propagate'}, default 'raise'
        What a step does where a gradient element, or the update it leads to,
        is not finite.  ``'raise'`` and ``'skip'`` leave such elements and
        their state unchanged (every other element takes its step);
        ``'raise'`` then raises :class:`NonFiniteUpdateError`.
        ``'propagate'`` writes whatever the arithmetic gives, as PyTorch does.

    Attributes
    ----------
    params : ndarray
        The array passed in.
    step_count : int
        Steps taken so far.
    lr : float
        Learning rate of the next step.
    state : dict of ndarray
        ``square_avg`` (v), and ``grad_avg`` (m, centered) and
        ``momentum_buffer`` (b, momentum) when used.

    See Also
    --------
    adaopt.minimize : the same update behind a scipy.optimize front end.

    Examples
    --------
    The anisotropic quadratic ``f(x, y) = x**2 + 10 y**2`` from (5, 5):

    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.RMSprop(x, lr=0.1, rho=0.9)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([3.3808, 3.3808])
    >>> opt
    RMSprop(n=2, dtype=float64, lr=0.1, step_count=10)
    """

    method = RMSPROP
    positional = ("lr", "rho", "eps")


class Adam(Optimizer):
    r"""Adam over a flat parameter vector, updated in place (PyTorch's ``torch.optim.Adam``).

    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        m     = beta1 * m + (1 - beta1) * g      m starts at 0
        v     = beta2 * v + (1 - beta2) * g**2   v starts at 0
        vmax  = max(vmax, v);  v' = vmax         amsgrad (vmax starts at 0); else v' = v
        theta = theta - lr * weight_decay * theta    decoupled_weight_decay
        theta = theta - lr * (m / (1 - beta1**t)) / (sqrt(v' / (1 - beta2**t)) + eps)

    This is the algorithm of PyTorch's documentation (Kingma & Ba 2015;
    AMSGrad as in PyTorch, Reddi, Kale & Kumar 2018).  The kernel computes
    it in the paper's efficient form (section 2), the same update with one
    division and one square root per element:
    ``theta -= a_t * m / (sqrt(v') + eps * sqrt(1 - beta2**t))`` with
    ``a_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)`` computed once per
    step in float64.  ``eps_root`` and ``eps_hat`` reproduce optax's and
    Keras' placements of eps (:doc:`/compatibility`).

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    betas : pair of float, default (0.9, 0.999)
        Decays of the first and second moments, each ``0 <= beta < 1``.
    eps : float, default 1e-8
        Added to the denominator, ``>= 0``.
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled), or applied to
        the parameters directly when ``decoupled_weight_decay`` (AdamW).
    amsgrad : bool, default False
        Divide by the running maximum of the second moment (AMSGrad).
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    decoupled_weight_decay : bool, default False
        AdamW's decoupled weight decay ``theta -= lr * weight_decay * theta``.
    eps_root : float, default 0
        Added under the square root to ``v' / (1 - beta2**t)``, ``>= 0``:
        optax's ``eps_root`` (not in PyTorch).
    eps_hat : bool, default False
        Add ``eps`` to ``sqrt(v')`` before the bias correction, not after:
        the paper's :math:`\hat\epsilon` of its efficient form, which is
        what Keras and TensorFlow call ``epsilon`` (not in PyTorch).
    clip_value : float, optional
        Clip each gradient element to ``[-clip_value, clip_value]``.
    clip_norm : float, optional
        Rescale the gradient so its global L2 norm is at most ``clip_norm``
        (after ``clip_value``).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    nonfinite : {'raise', 'skip', 'propagate'}, default 'raise'
        As for :class:`RMSprop`.

    Attributes
    ----------
    state : dict of ndarray
        ``exp_avg`` (m), ``exp_avg_sq`` (v), and ``max_exp_avg_sq`` with
        amsgrad: PyTorch's names.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.Adam(x, lr=0.1)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([4.0076, 4.0076])
    """

    method = ADAM
    positional = ("lr", "betas", "eps", "weight_decay", "amsgrad")


class AdamW(Optimizer):
    r"""AdamW over a flat parameter vector (PyTorch's ``torch.optim.AdamW``).

    :class:`Adam` with the weight decay decoupled from the gradient
    (Loshchilov & Hutter 2019): each step first shrinks the parameters,
    ``theta = theta - lr * weight_decay * theta``, then takes Adam's step
    without the decay in ``g``.  The arguments are Adam's, with
    ``weight_decay=1e-2`` by default and no ``decoupled_weight_decay``
    argument (it is always on), as in PyTorch.

    Parameters
    ----------
    params : ndarray
        As for :class:`Adam`.
    lr : float, default 1e-3
    betas : pair of float, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        Decoupled weight decay ``>= 0``.
    amsgrad : bool, default False
    maximize : bool, default False
    eps_root : float, default 0
    eps_hat : bool, default False
    clip_value, clip_norm, lr_schedule, nonfinite : optional
        As for :class:`Adam`.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.AdamW(x, lr=0.1)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([3.9627, 3.9627])
    """

    method = ADAMW
    positional = ("lr", "betas", "eps", "weight_decay", "amsgrad")


class Adagrad(Optimizer):
    r"""Adagrad over a flat parameter vector, updated in place (PyTorch's ``torch.optim.Adagrad``).

    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay
        clr   = lr(t) / (1 + (t - 1) * lr_decay) in float64, once per step
        s     = s + g**2                         s starts at initial_accumulator_value
        theta = theta - clr * g / (sqrt(s) + eps)   (sqrt(s + eps): eps_in_sqrt)

    This is the algorithm of PyTorch's documentation (Duchi, Hazan & Singer
    2011).

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 1e-2
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    lr_decay : float, default 0
        Decay ``>= 0`` of the rate: step t takes ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled).
    initial_accumulator_value : float, default 0
        Starting value ``>= 0`` of the sum of squares ``s``.
    eps : float, default 1e-10
        Added to the denominator, ``>= 0``.
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    eps_in_sqrt : bool, default False
        Add ``eps`` under the square root, ``g / sqrt(s + eps)``, as optax and
        Keras 3 do (not in PyTorch).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based), which ``lr_decay``
        then divides; see :mod:`adaopt.schedules`.
    clip_value, clip_norm, nonfinite : optional
        As for :class:`Adam` (``nonfinite`` default 'raise').

    Attributes
    ----------
    state : dict of ndarray
        ``sum`` (s): PyTorch's name.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.Adagrad(x, lr=1.0)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([1.2227, 1.2227])
    """

    method = ADAGRAD
    positional = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")


class SGD(Optimizer):
    r"""Stochastic gradient descent over a flat parameter vector (PyTorch's ``torch.optim.SGD``).

    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay
        b     = g                                momentum, at t = 1
        b     = momentum * b + (1 - dampening) * g   momentum, at t > 1
        g     = g + momentum * b                 nesterov; else g = b (momentum)
        theta = theta - lr * g

    This is the algorithm of PyTorch's documentation (Nesterov momentum as
    formulated by Sutskever, Martens, Dahl & Hinton 2013).  With
    ``lr_in_momentum=True`` and momentum the rate goes into the buffer, as
    in Keras 3 (whose velocity is ``-b``: the same bits)::

        b     = momentum * b + lr * g            momentum (b starts at 0)
        g     = momentum * b + lr * g            nesterov; else g = b
        theta = theta - g

    For a constant rate this is PyTorch's update up to rounding; under a
    schedule the buffer keeps the earlier steps' rates.

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    momentum : float, default 0
        Momentum factor ``>= 0``; 0 keeps no buffer.
    dampening : float, default 0
        Dampening of the momentum (a finite real): the buffer adds
        ``(1 - dampening) * g`` from step 2 on.
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    lr_in_momentum : bool, default False
        Keras 3's form (not in PyTorch): the buffer accumulates ``lr * g``
        from 0, without dampening (``dampening`` must be 0).  Changes nothing
        without momentum.
    clip_value, clip_norm, lr_schedule, nonfinite : optional
        As for :class:`Adam` (``nonfinite='raise'`` by default).

    Attributes
    ----------
    state : dict of ndarray
        ``momentum_buffer`` (b) with momentum, PyTorch's name; empty without.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.SGD(x, lr=0.01, momentum=0.9)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([1.5356, 0.022 ])
    """

    method = SGD_METHOD
    positional = ("lr", "momentum", "dampening", "weight_decay", "nesterov")


class Adamax(Optimizer):
    r"""Adamax over a flat parameter vector, updated in place (PyTorch's ``torch.optim.Adamax``).

    Adam's variant with the infinity norm (Kingma & Ba 2015, section 7.1).
    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        m     = beta1 * m + (1 - beta1) * g      m starts at 0
        u     = max(beta2 * u, |g| + eps)        u starts at 0
        clr   = lr(t) / (1 - beta1**t)           in float64, once per step
        theta = theta - clr * (m / u)

    This is the algorithm of PyTorch's documentation, in PyTorch's form:
    the bias correction is folded into the rate ``clr``, computed in float64
    and rounded once to the parameters' dtype (as PyTorch's Python float),
    and ``m / u`` is taken per element before it is scaled.

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 2e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    betas : pair of float, default (0.9, 0.999)
        Decays of the first moment and of the infinity norm, each
        ``0 <= beta < 1``.
    eps : float, default 1e-8
        Added to ``|g|`` inside the maximum, ``>= 0``.
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled).
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based), which the bias
        correction then divides; see :mod:`adaopt.schedules`.
    clip_value, clip_norm, nonfinite : optional
        As for :class:`Adam` (``nonfinite`` default 'raise').

    Attributes
    ----------
    state : dict of ndarray
        ``exp_avg`` (m) and ``exp_inf`` (u): PyTorch's names.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.Adamax(x, lr=0.1)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([4.0463, 4.0463])
    """

    method = ADAMAX
    positional = ("lr", "betas", "eps", "weight_decay")


class Adadelta(Optimizer):
    r"""Adadelta over a flat parameter vector, updated in place (PyTorch's ``torch.optim.Adadelta``).

    Zeiler's per-dimension rate from two running averages, of the squared
    gradients and of the squared updates (Zeiler 2012, algorithm 1).  Per
    element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        v     = rho * v + (1 - rho) * g**2       v starts at 0
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u     = rho * u + (1 - rho) * delta**2   u starts at 0
        theta = theta - lr(t) * delta

    This is the algorithm of PyTorch's documentation, in PyTorch's order of
    operations; the paper's update is ``lr = 1`` (PyTorch's default), which
    makes the step free of any rate: its units are those of ``theta``.

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 1.0
        Factor of ``delta`` in the update, ``>= 0``.  Overridden by
        ``lr_schedule``.
    rho : float, default 0.9
        Decay of both running averages, ``0 <= rho <= 1``.
    eps : float, default 1e-06
        Added inside both square roots, ``>= 0``; it sets the size of the
        first steps, ``sqrt(eps) / sqrt(v + eps) * g``, while ``u`` is 0.
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled).
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    clip_value, clip_norm, nonfinite : optional
        As for :class:`Adam` (``nonfinite`` default 'raise').

    Attributes
    ----------
    state : dict of ndarray
        ``square_avg`` (v) and ``acc_delta`` (u): PyTorch's names.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.Adadelta(x)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([4.9663, 4.9663])
    """

    method = ADADELTA
    positional = ("lr", "rho", "eps", "weight_decay")


class RAdam(Optimizer):
    r"""RAdam over a flat parameter vector, updated in place (PyTorch's ``torch.optim.RAdam``).

    Adam with its adaptive step switched on only once the variance of the
    second moment is tractable, and rectified then (Liu et al. 2020,
    algorithm 2).  Per element, at step t = 1, 2, ... with gradient g,
    parameter theta and learning rate lr(t), in this order (each line only
    when its option is on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        theta = theta - lr(t) * weight_decay * theta   decoupled_weight_decay
        m     = beta1 * m + (1 - beta1) * g      m starts at 0
        v     = beta2 * v + (1 - beta2) * g**2   v starts at 0
        rho_inf = 2 / (1 - beta2) - 1
        rho_t   = rho_inf - 2 t beta2**t / (1 - beta2**t)
        r_t     = sqrt((rho_t - 4) (rho_t - 2) rho_inf
                       / ((rho_inf - 4) (rho_inf - 2) rho_t))
        theta = theta - lr(t) r_t sqrt(1 - beta2**t) / (1 - beta1**t)
                        * m / (sqrt(v) + eps)    if rho_t > threshold (5)
        theta = theta - lr(t) / (1 - beta1**t) * m   otherwise

    This is the algorithm of PyTorch's documentation.  ``rho_t``, ``r_t``,
    the switch and the bias corrections depend on ``t`` alone: they are
    computed once per step in float64 and folded into one rate, rounded once
    to the parameters' dtype; per element there are only the moments and
    ``m / (sqrt(v) + eps)``.  With the default ``betas`` the first five
    steps are not rectified.

    With ``eps_hat=False`` the rectified step is optax's (``optax.radam``,
    :doc:`/compatibility`): eps added to the bias-corrected root, and
    ``eps_root`` (either way) under it::

        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
        theta = theta - lr(t) r_t m_hat / (sqrt(v_hat + eps_root) + eps)
                                                 if rho_t > threshold

    The kernel computes it at the rate above, as ``m / (sqrt(v + eps_root
    (1 - beta2**t)) + eps sqrt(1 - beta2**t))``: the same update in exact
    arithmetic (the efficient form of :class:`Adam`, whose ``eps_hat``
    means the same).

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    betas : pair of float, default (0.9, 0.999)
        Decays of the two moments, each ``0 <= beta < 1``.  A step is
        rectified only when ``rho_inf > 5``, i.e. ``beta2 > 2/3``.
    eps : float, default 1e-8
        Added to ``sqrt(v)`` on rectified steps (to ``sqrt(v / (1 -
        beta2**t))`` with ``eps_hat=False``), ``>= 0``.
    weight_decay : float, default 0
        Weight decay ``>= 0``: an L2 penalty added to the gradient, or with
        ``decoupled_weight_decay`` a shrinking of ``theta`` by ``lr(t) *
        weight_decay`` (Loshchilov & Hutter 2019).
    decoupled_weight_decay : bool, default False
        Decouple the weight decay from the gradient, as AdamW does.
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    eps_root : float, default 0
        Added under the square root to ``v / (1 - beta2**t)`` on rectified
        steps, ``>= 0``: optax's ``eps_root`` (not in PyTorch).
    eps_hat : bool, default True
        Add ``eps`` to ``sqrt(v)`` before the bias correction, as PyTorch
        does (the meaning of :class:`Adam`'s ``eps_hat``, whose default is
        PyTorch Adam's False); False adds it to ``sqrt(v / (1 - beta2**t))``,
        as optax does.
    threshold : float, default 5.0
        A step is rectified when ``rho_t > threshold``: PyTorch's 5, optax's
        ``threshold`` (which rectifies at ``rho_t >= threshold``, a
        difference only when ``rho_t`` equals it exactly).  ``>= 4``, so that
        ``r_t`` is real and finite; above ``rho_inf`` no step is rectified.
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    clip_value, clip_norm, nonfinite : optional
        As for :class:`Adam` (``nonfinite`` default 'raise').

    Attributes
    ----------
    state : dict of ndarray
        ``exp_avg`` (m) and ``exp_avg_sq`` (v): PyTorch's names.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.RAdam(x, lr=0.1)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([0.9941, 3.4488])
    """

    method = RADAM
    positional = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay")


class NAdam(Optimizer):
    r"""NAdam over a flat parameter vector, updated in place (PyTorch's ``torch.optim.NAdam``).

    Adam with Nesterov momentum (Dozat 2016): the step looks ahead along
    the momentum, whose weight ``mu_t`` grows to ``beta1`` on PyTorch's
    schedule.  Per element, at step t = 1, 2, ... with gradient g, parameter
    theta and learning rate lr(t), in this order (each line only when its
    option is on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        theta = theta - lr(t) * weight_decay * theta   decoupled_weight_decay
        mu_t  = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))
        P_t   = mu_1 * mu_2 * ... * mu_t
        m     = beta1 * m + (1 - beta1) * g      m starts at 0
        v     = beta2 * v + (1 - beta2) * g**2   v starts at 0
        d     = sqrt(v / (1 - beta2**t)) + eps
        theta = theta - lr(t) (1 - mu_t) / (1 - P_t) * g / d
        theta = theta - lr(t) mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    This is the algorithm of PyTorch's documentation.  The schedule, the
    product ``P_t``, both coefficients and the bias correction depend on
    ``t`` alone: they are computed once per step in float64 and rounded once
    to the parameters' dtype, multiplied through by ``sqrt(1 - beta2**t)``
    so that each element takes one division and one square root,
    ``theta -= (a_g * g + a_m * m) / (sqrt(v) + eps * sqrt(1 - beta2**t))``
    (the same update in exact arithmetic).  ``P_t`` is kept in the
    parameters' dtype, as PyTorch keeps it in its default dtype; it is not
    part of the checkpoint, since it is a function of the step count (a
    restored optimizer rebuilds it with the same roundings).

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
    lr : float, default 2e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    betas : pair of float, default (0.9, 0.999)
        Decays of the two moments, each ``0 <= beta < 1``.
    eps : float, default 1e-8
        Added to the square root, ``>= 0``.
    weight_decay : float, default 0
        Weight decay ``>= 0``: an L2 penalty added to the gradient, or with
        ``decoupled_weight_decay`` a shrinking of ``theta`` by ``lr(t) *
        weight_decay`` (Loshchilov & Hutter 2019).
    momentum_decay : float, default 4e-3
        ``psi`` of the momentum schedule, ``>= 0``; 0 keeps ``mu_t`` at
        ``beta1 / 2`` and ``inf`` at ``beta1`` (optax's ``nadam``).
    decoupled_weight_decay : bool, default False
        Decouple the weight decay from the gradient, as AdamW does
        (PyTorch's NAdamW).
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    clip_value, clip_norm, nonfinite : optional
        As for :class:`Adam` (``nonfinite`` default 'raise').

    Attributes
    ----------
    state : dict of ndarray
        ``exp_avg`` (m) and ``exp_avg_sq`` (v): PyTorch's names.

    Examples
    --------
    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.NAdam(x, lr=0.1)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))

    The step is invariant to the gradient's scale, so both coordinates move
    alike (by about ``lr`` a step):

    >>> x.round(4)
    array([4.2142, 4.2142])
    """

    method = NADAM
    positional = ("lr", "betas", "eps", "weight_decay", "momentum_decay",
                  "decoupled_weight_decay")


#: The optimizer class of each method, by ``minimize``'s name for it.
OPTIMIZERS = {cls.method.name: cls for cls in (RMSprop, Adam, AdamW, Adagrad, SGD, Adamax,
                                               Adadelta, RAdam, NAdam)}
