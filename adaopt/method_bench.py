r"""Speed of every method's step, against references in the same run.

``python -m adaopt bench --method NAME`` prints, for each vector length and
dtype, the time of one ``opt.step(grad)`` of the method's optimizer at
PyTorch's defaults (the plain flavour), the bandwidth it reaches, and its
ratio to

* a **streaming probe** of the method's own bytes: a compiled loop that
  reads :math:`\theta`, :math:`g` and each of the method's :math:`R` state
  arrays and writes :math:`\theta` and the state arrays -- :math:`(3 + 2R)
  n s` bytes for :math:`n` elements of :math:`s` bytes (Adam, :math:`R = 2`:
  seven streams) -- with one multiply-add per element, on the same
  serial/parallel path as the step: the roofline;
* a **divider probe**: a compiled loop with as many square roots and
  divisions per element as the method's plain step (:data:`DIVIDER_OPS`)
  and nothing else but a multiply-add, reading :math:`\theta` and :math:`g`
  and writing :math:`\theta`: where it takes about as long as the step, the
  step is bound by the throughput of the CPU's divider, which computes both
  (a few elements per cycle at best), not by memory;
* the **unmasked loop**: the method's own step loop built without its
  non-finite mask (:func:`adaopt.kernels.unmasked_loop`), which writes every
  result and reports nothing -- what the mask and the call cost;
* PyTorch's implementation (``torch.optim.<Class>``, ``foreach=False``: the
  for-loop form) and, for the methods with a fused CPU kernel (Adam, AdamW,
  SGD, Adagrad), ``fused=True``; a jitted optax update.  Each only when the
  package is importable (neither is a dependency of adaopt).

Every contender is compiled and warmed up first.  adaopt and its probe are
sampled in interleaved rounds (:func:`adaopt.timing.measure`); torch and
optax, whose thread pools keep spinning after each call, each in windows of
their own that alternate with adaopt's (:data:`WINDOWS` of each), so that
all of them see the same drift of the machine's memory bandwidth.
"""

import math

import numba
import numpy as np

from . import _numba_cache, kernels
from ._optimizers import OPTIMIZERS
from ._problem import METHODS
from .timing import UNSTABLE_NOTE, fmt_time, is_unstable, measure

__all__ = ["SIZES", "TORCH_FUSED", "DIVIDER_OPS", "state_rows", "method_probe",
           "divider_probe", "unmasked_stepper",
           "torch_stepper", "optax_stepper", "method_contenders", "method_table",
           "format_method_row", "METHOD_HEADER"]

#: Vector lengths of the table.
SIZES = (10**3, 10**5, 10**6, 10**7)

#: How many sampling windows each contender gets, alternating (method_table).
WINDOWS = 3

#: The methods for which PyTorch has a fused CPU kernel (``fused=True``).
TORCH_FUSED = frozenset({"adam", "adamw", "sgd", "adagrad"})

#: ``(square roots, divisions)`` per element of each method's plain step: its
#: ``_step_block`` in ``adaopt._<name>_kernels`` (RMSprop's in
#: :mod:`adaopt.kernels`) at the defaults (RAdam's rectified steps).
DIVIDER_OPS = {"rmsprop": (1, 1), "adam": (1, 1), "adamw": (1, 1), "adamax": (0, 1),
               "nadam": (1, 1), "radam": (1, 1), "adagrad": (1, 1), "adadelta": (2, 1),
               "sgd": (0, 0)}

#: optax's transformation of each method, by name (all take the rate first).
_OPTAX = {"rmsprop": "rmsprop", "adam": "adam", "adamw": "adamw", "adagrad": "adagrad",
          "sgd": "sgd", "adamax": "adamax", "adadelta": "adadelta", "radam": "radam",
          "nadam": "nadam"}


def _defaults(name):
    """``(method, cfg, flavour)`` of method ``name`` at its defaults (the plain flavour)."""
    method = METHODS[name]
    cfg = method.settings(method.check({}))
    return method, cfg, method.flavour(cfg)


def state_rows(name):
    """How many state arrays the method's default (plain) flavour uses."""
    return sum(_defaults(name)[2])


def _make_probe(rows, parallel):
    def probe(theta, grad, S, a):
        # ``rows`` and ``parallel`` are in the closure, so that each build
        # caches apart; ``rows`` is a constant, so the inner loop unrolls
        flavour = parallel  # noqa: F841
        c = a[0]
        for i in numba.prange(theta.shape[0]):
            g = grad[i]
            for r in range(rows):
                S[r, i] = S[r, i] + g
            theta[i] = theta[i] - c * g

    return _numba_cache.njit_cached(probe, parallel=parallel, nogil=True,
                                    error_model="numpy")


_probes = {}


def method_probe(rows, parallel):
    """The streaming probe of a step with ``rows`` state arrays (a dispatcher).

    ``probe(theta, grad, S, a)``: ``S[r] += grad`` for each row of the 2-D
    ``S``, ``theta -= a[0] * grad``, in one compiled pass over the elements.

    Examples
    --------
    >>> import numpy as np
    >>> th, g, S = np.ones(3), np.full(3, 2.0), np.zeros((2, 3))
    >>> method_probe(2, False)(th, g, S, np.array([0.5]))
    >>> th, S[1]
    (array([0., 0., 0.]), array([2., 2., 2.]))
    """
    key = (int(rows), bool(parallel))
    return _numba_cache.built_once(_probes, key, lambda: _make_probe(*key))


def _make_divider_probe(sqrts, divs, parallel):
    def divider(theta, grad, a):
        # the counts and ``parallel`` are in the closure: each build caches
        # apart, and the counts are constants, so the loops unroll.  Each
        # root and quotient takes the previous one, so that none is a
        # repeat LLVM could drop; the elements are independent, so the
        # chain costs throughput, not latency
        flavour = parallel  # noqa: F841
        c = a[0]
        for i in numba.prange(theta.shape[0]):
            x = abs(grad[i]) + c
            y = x
            for _ in range(sqrts):
                y = math.sqrt(y + x)
            for _ in range(divs):
                y = x / y
            theta[i] = theta[i] - c * y

    return _numba_cache.njit_cached(divider, parallel=parallel, nogil=True,
                                    error_model="numpy")


_dividers = {}


def divider_probe(sqrts, divs, parallel):
    """The divider probe of ``sqrts`` square roots and ``divs`` divisions (a dispatcher).

    ``divider(theta, grad, a)``: per element, with ``x = |g| + a[0]``,
    ``y = x``, then ``y = sqrt(y + x)`` ``sqrts`` times and ``y = x / y``
    ``divs`` times, and ``theta -= a[0] * y``, in one compiled pass.

    Examples
    --------
    >>> import numpy as np
    >>> th, g = np.ones(2), np.array([3.0, -3.0])
    >>> divider_probe(2, 1, False)(th, g, np.array([1.0]))
    >>> th       # x = 4, y = sqrt(4 + 4), y = sqrt(y + 4), y = 4 / y: 1 - y
    array([-0.53073373, -0.53073373])
    """
    key = (int(sqrts), int(divs), bool(parallel))
    return _numba_cache.built_once(_dividers, key, lambda: _make_divider_probe(*key))


def unmasked_stepper(name, theta, grad, t=10):
    """The method's step loop without its mask, as a zero-argument callable.

    The loop the optimizer at its defaults runs on ``theta``'s path (serial
    or parallel, with the bodies its settings decide:
    :meth:`~adaopt._method.Method.kernel_bodies`), built by
    :func:`adaopt.kernels.unmasked_loop`, on copies of ``theta`` and of zeroed
    state, with the scalars of step ``t`` (past RAdam's unrectified warm-up):
    each call repeats that step in place.
    """
    method, cfg, flavour = _defaults(name)
    hp = np.empty(method.hp_size, dtype=theta.dtype)
    method.fixed_scalars(hp, cfg)
    if method.per_step(cfg):
        prepare = method.step_scalars_build(False, method.clips_norm(cfg))
        prepare(hp, cfg, grad, method.defaults["lr"], t)
    loop = kernels.unmasked_loop(method.kernel(flavour, kernels.use_parallel(theta.shape[0]),
                                               method.kernel_bodies(cfg)))
    x = theta.copy()
    S = np.zeros((sum(flavour), theta.shape[0]), theta.dtype)
    return lambda: loop(x, grad, S, hp)


def torch_stepper(name, theta, grad, fused=False, **options):
    """One step of PyTorch's ``name`` optimizer as a zero-argument callable, or None.

    ``torch.optim.<Class>([p], lr=<adaopt's default lr>, **options)`` with
    ``foreach=False`` (the for-loop form) or ``fused=True``, over a copy of
    ``theta`` with ``grad`` (shared with torch, not copied) as its gradient,
    so calling it repeats the same step in place.  None when torch is not
    importable.
    """
    try:
        import torch
    except ImportError:
        return None
    method = METHODS[name]
    p = torch.nn.Parameter(torch.from_numpy(theta.copy()))
    p.grad = torch.from_numpy(grad)
    kind = dict(fused=True) if fused else dict(foreach=False)
    options = {"lr": method.defaults["lr"], **options}
    opt = getattr(torch.optim, method.title)([p], **options, **kind)
    return opt.step


def optax_stepper(name, theta, grad, **options):
    """One jitted optax update of method ``name`` as a zero-argument callable, or None.

    ``optax.<name>(<adaopt's default lr>, **options)`` followed by
    ``optax.apply_updates``, compiled with ``jax.jit`` with the parameters
    and state donated, so XLA may update them in place; each call waits for
    the result.  float64 switches on ``jax_enable_x64`` for the process.
    None when jax or optax is not importable.
    """
    try:
        import jax
        import optax
    except ImportError:
        return None
    if theta.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    tx = getattr(optax, _OPTAX[name])(METHODS[name].defaults["lr"], **options)

    def update(params, g, state):
        updates, state = tx.update(g, state, params)
        return optax.apply_updates(params, updates), state

    jitted = jax.jit(update, donate_argnums=(0, 2))
    g = jax.device_put(grad)
    carry = [jax.device_put(theta.copy()), None]
    carry[1] = tx.init(carry[0])

    def step():
        carry[0], carry[1] = jitted(carry[0], g, carry[1])
        jax.block_until_ready(carry[0])

    return step


def method_contenders(name, n, dtype, seed=0, others=True):
    """Ready-to-time callables, one step each, for method ``name``, ``n``, ``dtype``.

    ``'adaopt'`` (``opt.step(grad)`` at the class's defaults), ``'probe'``
    (:func:`method_probe` with the method's state arrays), ``'divider'``
    (:func:`divider_probe` with the method's :data:`DIVIDER_OPS`, for a
    method with any), ``'unmasked'`` (:func:`unmasked_stepper`) and, with
    ``others`` and when importable, ``'torch'``, ``'fused'`` (methods in
    :data:`TORCH_FUSED`) and ``'optax'``.  Every callable owns its arrays and
    has been called once (compilation done).
    """
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n).astype(dtype)
    grad = rng.standard_normal(n).astype(dtype)
    x = theta.copy()
    opt = OPTIMIZERS[name](x)
    fns = {"adaopt": lambda: opt.step(grad)}
    rows = state_rows(name)
    probe = method_probe(rows, kernels.use_parallel(n))
    xp, Sp = theta.copy(), np.zeros((rows, n), dtype)
    a = np.array([METHODS[name].defaults["lr"]], dtype)
    fns["probe"] = lambda: probe(xp, grad, Sp, a)
    sqrts, divs = DIVIDER_OPS[name]
    if sqrts or divs:
        divider = divider_probe(sqrts, divs, kernels.use_parallel(n))
        xd = theta.copy()
        fns["divider"] = lambda: divider(xd, grad, a)
    fns["unmasked"] = unmasked_stepper(name, theta, grad)
    if others:
        makers = {"torch": lambda: torch_stepper(name, theta, grad),
                  "optax": lambda: optax_stepper(name, theta, grad)}
        if name in TORCH_FUSED:
            makers["fused"] = lambda: torch_stepper(name, theta, grad, fused=True)
        for key, make in makers.items():
            fn = make()
            if fn is not None:
                fns[key] = fn
    for fn in fns.values():
        fn()
    return fns


METHOD_HEADER = (f"{'method':>8} {'dtype':>7} {'n':>9} {'path':>8} {'step':>10} "
                 f"{'GB/s':>6} {'probe':>10} {'%probe':>6} {'%div':>5} {'%unmask':>7} "
                 f"{'xtorch':>7} {'xfused':>7} {'xoptax':>7} {'spread':>7}")


def format_method_row(row):
    """One printed line of :func:`method_table`."""
    t = row["adaopt"]
    gbs = row["streams"] * row["n"] * np.dtype(row["dtype"]).itemsize / t / 1e9

    def ratio(key):
        return f"{row[key] / t:7.2f}" if key in row else f"{'-':>7}"

    share = f"{100 * row['divider'] / t:4.0f}% " if "divider" in row else f"{'-':>5} "
    return (f"{row['method']:>8} {row['dtype']:>7} {row['n']:>9} "
            f"{'parallel' if row['parallel'] else 'serial':>8} {fmt_time(t):>10} "
            f"{gbs:6.1f} {fmt_time(row['probe']):>10} {100 * row['probe'] / t:5.0f}% {share}"
            f"{100 * row['unmasked'] / t:6.0f}% {ratio('torch')} {ratio('fused')} {ratio('optax')} "
            f"{100 * row.get('spread', 0.0):5.0f}%{' !' if is_unstable(row) else ''}")


def method_table(name, sizes=SIZES, dtypes=(np.float32, np.float64), seconds=1.0,
                 others=True, out=None):
    """Measure method ``name`` against its probe (and torch, optax); return rows.

    A row is a dict: ``method``, ``n``, ``dtype``, ``parallel``, ``streams``
    (the arrays a step moves, :math:`3 + 2R`) and the seconds per step of
    each contender (``adaopt``, ``probe``, ``divider``, ``unmasked``, ``torch``,
    ``fused``, ``optax``),
    and ``spread`` (:func:`adaopt.timing.measure`).  With ``out``, each row
    is printed as soon as it is measured, and the note on unstable rows at
    the end.
    """
    if name not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {name!r}")
    rows = []
    for dtype in dtypes:
        for n in sizes:
            fns = method_contenders(name, n, dtype, others=others)
            row = {"method": name, "n": n, "dtype": np.dtype(dtype).name,
                   "parallel": kernels.use_parallel(n), "streams": 3 + 2 * state_rows(name)}
            foreign = [key for key in ("torch", "fused", "optax") if key in fns]
            ours = {k: f for k, f in fns.items() if k not in foreign}
            # Windows of adaopt and its probe alternate with windows of each
            # foreign contender (WINDOWS of each), and each keeps its best:
            # the machine's memory bandwidth drifts by tens of percent over
            # seconds, and a contender timed only after the others would
            # see another machine.
            best, spread = {}, {}
            for _ in range(WINDOWS):
                groups = [ours] + [{key: fns[key]} for key in foreign]
                for group in groups:
                    window = {}
                    times = measure(group, seconds=seconds / WINDOWS, min_rounds=2,
                                    spread=window)
                    for key, value in times.items():
                        best[key] = min(best.get(key, value), value)
                        spread[key] = max(spread.get(key, 0.0), window[key])
            row.update(best)
            row["spread"] = max(spread.values())
            del fns
            rows.append(row)
            if out is not None:
                if len(rows) == 1:
                    print(METHOD_HEADER, file=out)
                print(format_method_row(row), file=out, flush=True)
    if out is not None:
        print("step: one opt.step(grad) at the class's defaults; GB/s: the step's (3 + 2R) "
              "streams of n elements; %probe: probe time / step time; %div: a loop of the step's "
              "square roots and divisions alone, time / step time; %unmask: the same loop "
              "without its non-finite mask, time / step time; xNAME: NAME time / "
              "step time (torch: foreach=False; fused: fused=True)", file=out)
        if any(is_unstable(r) for r in rows):
            print(UNSTABLE_NOTE, file=out)
    return rows
