r"""``adaopt.minimize``: the adaptive methods behind the interface of :func:`scipy.optimize.minimize`.

This module hands a problem parsed and checked once
(:func:`adaopt._problem.parse_problem`) to a driver: the Python loop
(:mod:`adaopt._python_loop`) or the compiled one
(:mod:`adaopt._compiled_loop`); the iteration itself, with the exact order
of the stopping tests, is :mod:`adaopt._iteration`'s.  The scipy custom
method (:mod:`adaopt._scipy_method`) and ``multistart`` run the same
drivers through :func:`run`.
"""

from . import kernels
from ._compiled_loop import compiled_driver_unsupported, run_compiled
from ._problem import parse_problem
from ._python_loop import run_python

__all__ = ["minimize", "run", "choose_driver", "DRIVERS"]

#: Drivers by name: ``name -> run(problem) -> OptimizeResult``.  ``'auto'``
#: asks :func:`choose_driver`.
DRIVERS = {"python": run_python, "compiled": run_compiled}


def minimize(fun, x0, args=(), method="rmsprop", jac=None, bounds=None, tol=None,
             callback=None, options=None):
    r"""Minimize a scalar function with RMSprop, the way :func:`scipy.optimize.minimize` does.

    Each iteration evaluates :math:`f(x_k)` and :math:`g_k = \nabla f(x_k)`
    once and takes one :class:`adaopt.RMSprop` step (see that class for the
    update rule), projected on the bounds:

    .. math::

        x_{k+1} = P_{[l, u]}\bigl(x_k - \eta_k\, u_k(g_k)\bigr),
        \qquad P_{[l,u]}(x) = \min(\max(x, l), u).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, ``x`` a 1-D array of ``x0``'s dtype.
        Each call of a Python ``fun`` (and ``jac``) gets its own copy of the
        iterate, as with scipy: it may modify or keep it.  The value must be
        a real scalar (a 1-element array is accepted) at every call; anything
        else raises ``ValueError`` at that call.
    x0 : array_like
        Starting point: ``np.atleast_1d`` of it must be 1-D and finite.
        Integers become float64; float32 stays float32 (the whole run is then
        float32); float64 stays float64, in either byte order.  It is never
        modified.  A masked array with masked elements raises ``TypeError``;
        one with nothing masked is taken by its values.
    args : tuple, optional
        Extra arguments of ``fun`` and ``jac``; a non-tuple is wrapped as
        ``(args,)``.  For a Numba-jitted ``fun`` or ``jac``, an array in the
        other byte order or unaligned (which Numba would refuse or misread)
        is passed as a native copy with the same values.
    method : str, default 'rmsprop'
        The lower-case name of one of adaopt's optimizer classes, any case
        (``'rmsprop'`` for :class:`adaopt.RMSprop`, ``'adam'``, ``'adamw'``,
        ``'adagrad'``, ``'sgd'``, ``'adamax'``, ``'adadelta'``, ``'radam'``,
        ``'nadam'``), or its scipy custom method (:func:`adaopt.rmsprop`,
        :func:`adaopt.adam`, ...); anything else raises ``ValueError``
        listing the choices.  The options below are RMSprop's; another
        method's are the arguments of its class.
    jac : callable, bool or str, optional
        * callable ``jac(x, *args) -> array`` of shape ``(n,)``; a gradient
          of another dtype or byte order, a list or tuple, a strided,
          read-only or unaligned array, a column ``(n, 1)`` or row ``(1, n)``
          is converted to a 1-D array of ``x0``'s dtype (any other shape
          raises ``ValueError``, a complex gradient ``TypeError``);
        * ``True``: ``fun`` returns ``(f, g)`` (one call per iteration);
        * ``None``, ``False``, ``'2-point'``, ``'3-point'``, ``'cs'``: finite
          differences (``None``/``False`` mean ``'2-point'``), every call
          counted in ``nfev`` (``m + 1``, ``2m + 1``, ``m + 1`` per
          iteration for ``m`` free variables).  Every evaluation point lies
          in the bounds; a variable fixed by ``lo == hi`` is never stepped
          and its derivative is 0.  See :mod:`adaopt.finite_differences`
          for the steps and why adaopt has its own.

        A stochastic ``jac`` (a fresh minibatch at each call) is fine: each
        iteration calls it exactly once.
    bounds : scipy.optimize.Bounds or sequence of (lo, hi), optional
        Box constraints; ``None`` in a pair means unbounded.  Every iterate is
        projected into the box; an ``x0`` outside is clipped into it with an
        :class:`~scipy.optimize.OptimizeWarning` (as Nelder-Mead does).
        ``lo > hi`` raises ``ValueError``.
    tol : float, optional
        Sets ``gtol`` unless ``options`` gives it (scipy's rule for
        gradient methods).
    callback : callable, optional
        ``callback(intermediate_result)`` (detected, as scipy does, by a
        single parameter named ``intermediate_result``) receives an
        :class:`~scipy.optimize.OptimizeResult` with ``x``, ``fun`` (f at that
        ``x``) and ``nit``; any other callable is called as
        ``callback(xk)`` with a copy of the iterate.  It runs after every
        iteration whose ``f`` and ``g`` are finite; raising
        ``StopIteration`` stops the run with status 99, and stopping at
        iteration ``k`` gives the same ``x``, ``fun``, ``nit`` as
        ``maxiter=k``.
    options : dict, optional
        The hyperparameters of :class:`adaopt.RMSprop` with its defaults
        (``lr=1e-3, rho=0.9, eps=1e-8, momentum, nesterov, centered,
        weight_decay, decoupled_weight_decay, maximize, eps_in_sqrt,
        bias_correction, initial_scale, clip_value, clip_norm``) but one:
        ``momentum`` defaults to 0.9 here (the default policy, with
        ``lr_schedule``; the optimizer object keeps PyTorch's 0), and:

        lr_schedule : FeedbackRule, callable or None, default ``bold_driver()``
            How the learning rate changes.  By default it follows ``f``:
            :class:`adaopt.schedules.bold_driver` makes the rate of each
            step :math:`\min(1.1\eta, 1000\eta_1)` after a fall of ``f`` and
            :math:`0.85\eta` after a rise (``lr`` is the first step's), so
            that default options end in a tight minimum.  Another feedback
            rule (:class:`adaopt.schedules.plateau`, PyTorch's
            ``ReduceLROnPlateau`` fed with every ``f``), a schedule
            ``lr_schedule(t) -> lr`` of the step ``t = 1, 2, ...``, or None
            for the constant ``lr`` (the optimizer objects' behaviour).  See
            :doc:`/guide/minimize` for the rule's constants and their
            measured effect.
        maxiter : int, default 10000
            Iteration limit.  Any real number is accepted, as scipy does:
            the run stops at the first ``nit >= maxiter`` (``100.1`` allows
            101 iterations); ``math.inf`` means none; beyond float range
            (``10**400``) is a ``ValueError``.  RMSprop moves each coordinate by about ``lr``
            per step whatever ``n`` is, so the default does not grow with
            ``n`` (scipy's quasi-Newton defaults do).
        maxfev : int, optional
            Limit on calls of ``fun``; the run stops before an iteration
            whose calls would exceed it (the first evaluation always runs).
            A non-integer is rounded down.
        gtol : float, default 1e-5
            Stop when :math:`\lVert g_k\rVert_\infty \le` ``gtol``, as BFGS
            does, with :math:`g_k` the *projected* gradient when there are
            bounds (L-BFGS-B's ``pgtol``): component :math:`i` counts as 0
            where :math:`x_i` is on its lower bound and :math:`g_i > 0`, or
            on its upper bound and :math:`g_i < 0` (signs flipped with
            ``maximize``), so a solution on a bound reports success.
            ``res.jac`` is the full gradient.  With a constant ``lr``
            (``lr_schedule=None``) RMSprop keeps moving by about ``lr`` near
            a minimum, so reaching a small ``gtol`` takes the default rule
            or a decaying ``lr_schedule``.
        ftol : float, default 0 (off)
            Stop when :math:`|f_{k-1} - f_k| \le \mathrm{ftol}\,
            \max(|f_{k-1}|, |f_k|, 1)` (L-BFGS-B's test).  Off by default:
            RMSprop does not decrease ``f`` monotonically, and with a
            minibatch objective one small change of ``f`` says little.
        xtol : float, default 0 (off)
            Stop when :math:`\lVert x_k - x_{k-1}\rVert_\infty \le`
            ``xtol``.  Off by default: the step length follows ``lr`` (the
            gradient is normalized), so it measures the schedule more than
            convergence.
        disp : bool, default False
            Print scipy's summary (message, f, counts) at the end.
        progress : int or bool, default 0
            Print iteration, ``f``, :math:`\lVert g\rVert_\infty` and
            iterations per second every ``progress`` iterations (``True``:
            every 1000), starting with iteration 0.
        driver : {'auto', 'python', 'compiled'}, default 'auto'
            Which loop runs the problem.  ``'python'``: the interpreted loop
            (:mod:`adaopt._python_loop`).  ``'compiled'``: the whole
            loop in Numba's nopython mode (:mod:`adaopt._compiled_loop`), tens of
            nanoseconds per iteration of overhead instead of microseconds;
            it needs ``fun`` and ``jac`` to be Numba-jitted functions (or
            ``jac=True`` with a jitted ``fun``) and no ``callback``, and
            compiles once per objective (cached on disk).  ``'auto'``
            takes ``'compiled'`` when it can and the vector is shorter than
            ``adaopt.kernels.PARALLEL_THRESHOLD``.  Both give the same
            result to the bit.

        An unknown option raises an :class:`~scipy.optimize.OptimizeWarning`
        naming it and is ignored.  (RMSprop's ``nonfinite`` is not an
        option: minimize always stops at a non-finite value, see below.)

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun`` (f at ``x``), ``jac`` (g at ``x``), ``nit``, ``nfev``,
        ``njev`` (0 with finite differences), ``status``, ``success``,
        ``message``.  Statuses (:mod:`adaopt.status`): 0 ``gtol`` reached,
        1 ``maxiter``, 2 ``maxfev``, 3 non-finite ``f`` or ``g`` (``x`` is
        the last iterate where both were finite), 4 ``ftol``, 5 ``xtol``,
        6 ``KeyboardInterrupt`` (``x`` is the last fully evaluated iterate:
        the work done is returned, not lost), 99 callback ``StopIteration``.
        ``success`` is True for 0, 4 and 5.  (Status 7 is never returned:
        see Raises.)

    Raises
    ------
    Exception
        Any exception from ``fun``, ``jac``, the callback or
        ``lr_schedule`` propagates unchanged, as scipy lets it: the same
        object, type and traceback.  It carries the run so far as its
        attribute ``adaopt_result``: an :class:`~scipy.optimize.OptimizeResult`
        of the last iterate whose ``f`` and ``g`` were evaluated (``x``,
        ``fun``, ``jac``, ``nit``; ``x0`` with ``fun = nan`` if the very
        first evaluation raised), with ``nfev``/``njev`` counting every call
        made (the one that raised too), status 7, ``success`` False.  The
        same holds for both drivers, to the bit.

        ``lr_schedule(t)`` is called only for steps ``t`` the run can take,
        ``t <= maxiter`` and within ``maxfev`` (so a schedule or a list of
        rates of length ``maxiter`` is enough), and its failure at step
        ``t`` (an exception, or a rate that is negative, infinite, NaN or
        not a real number) is raised only if the run takes step ``t``: a run
        that a stopping test ends first returns as usual.

    See Also
    --------
    adaopt.rmsprop : the same solver as ``scipy.optimize.minimize(...,
        method=adaopt.rmsprop)``.
    adaopt._iteration : the iteration and the order of its stopping tests.

    Examples
    --------
    The 2-D Rosenbrock function from (-1.2, 1), with a cosine-decaying
    learning rate:

    >>> import adaopt
    >>> from adaopt.problems import Rosenbrock
    >>> p = Rosenbrock()
    >>> res = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(
    ...     lr_schedule=adaopt.schedules.cosine_decay(0.01, 20000), maxiter=20000))
    >>> res.x.round(3), res.status, res.message
    (array([1., 1.]), 0, 'Optimization terminated successfully: gradient norm <= gtol.')
    """
    problem = parse_problem(fun, x0, args=args, method=method, jac=jac,
                            bounds=bounds, tol=tol, callback=callback,
                            options=options)
    return run(problem)


def run(problem):
    """Run a parsed problem with the driver its ``driver`` option names."""
    name = problem.driver
    if name == "auto":
        name = choose_driver(problem)
    return DRIVERS[name](problem)


def choose_driver(problem):
    """Name of the driver ``driver='auto'`` runs ``problem`` with.

    ``'compiled'`` when it can run the problem (jitted ``fun`` and ``jac``
    or ``jac=True``, no callback) and the vector is shorter than
    :data:`adaopt.kernels.PARALLEL_THRESHOLD` (the compiled driver steps with
    the serial kernel; longer vectors gain more from the parallel one than
    from a compiled loop); else ``'python'``.
    """
    if (not kernels.use_parallel(problem.x0.size)
            and compiled_driver_unsupported(problem) is None):
        return "compiled"
    return "python"
