r"""Speed of the RMSprop step, measured against references in the same run.

``python -m adaopt bench`` prints, for each vector length and dtype, the time
of one :meth:`adaopt.RMSprop.step`, the memory bandwidth it reaches, and its
ratio to

* a **streaming probe**: a compiled loop that reads :math:`\theta, g, v` and
  writes :math:`\theta, v` -- the bytes a plain step must move -- with
  trivial arithmetic, on the same serial/parallel path as the step.  Its
  bandwidth is the roofline: a step cannot beat it, and where memory bounds
  the step it should come close;
* a NumPy implementation of the same update (in place, one scratch vector);
* ``torch.optim.RMSprop`` and a jitted optax ``rmsprop`` update, when
  those packages are importable (they are never dependencies of adaopt).

Every reference is compiled and warmed up before timing starts.  Samples of
all contenders are taken in interleaved rounds, and the minimum per call is
kept, so that load from other processes hits every contender alike and
ratios stay meaningful on a busy machine.

``python -m adaopt bench --threshold`` times the serial and the parallel
loop around :data:`adaopt.kernels.PARALLEL_THRESHOLD`, the measurement
behind that constant.  ``--overhead`` times the Python side of
:meth:`RMSprop.step` at small n.

Bytes moved per plain step: :math:`5 n s` for :math:`n` elements of
:math:`s` bytes (three reads, two writes).
"""

import argparse
import math
import os
import re
import sys
import threading

import numba
import numpy as np

from . import _numba_cache, convergence, kernels, method_bench, startup
from ._optimizers import RMSprop
from ._problem import METHODS
from ._rmsprop import RMSPROP
from .timing import (UNSTABLE_NOTE, UNSTABLE_SPREAD, fmt_time, is_unstable, measure,
                     stability_mark)

__all__ = [
    "SIZES",
    "streaming_probe",
    "bare_step",
    "NumpyRMSprop",
    "torch_stepper",
    "optax_stepper",
    "measure",
    "make_contenders",
    "bench_table",
    "format_table",
    "is_unstable",
    "UNSTABLE_SPREAD",
    "threshold_scan",
    "step_overhead",
    "vectorization_report",
    "main",
]

#: Vector lengths of the table.
SIZES = (10**3, 10**5, 10**6, 10**7)
#: Hyperparameters every contender runs with (PyTorch-equivalent settings).
LR, RHO, EPS = 1e-3, 0.9, 1e-8


def _plain_hp(dtype):
    """The scalar table of a plain step with this module's hyperparameters
    (filled by the method's description, as every front end fills it)."""
    hp = np.empty(RMSPROP.hp_size, dtype=dtype)
    RMSPROP.fixed_scalars(hp, RMSPROP.settings(RMSPROP.check(dict(lr=LR, rho=RHO,
                                                                  eps=EPS))))
    return hp


def _make_loop(kind, parallel):
    """Build the probe or the bare loop; ``parallel`` as in the kernels."""

    def probe(theta, grad, v, s):
        # ``parallel`` is in the closure so that the two builds cache apart.
        flavour = parallel  # noqa: F841
        a = s[0]
        for i in numba.prange(theta.shape[0]):
            g = grad[i]
            v[i] = v[i] + g
            theta[i] = theta[i] - a * g

    def bare(theta, grad, v, s):
        flavour = parallel  # noqa: F841
        lr, rho, one_minus_rho, eps = s[0], s[1], s[2], s[3]
        for i in numba.prange(theta.shape[0]):
            g = grad[i]
            vi = rho * v[i] + one_minus_rho * g * g
            v[i] = vi
            theta[i] = theta[i] - lr * (g / (math.sqrt(vi) + eps))

    # cached as the kernels are (survives read-only installs, corrupt caches)
    return _numba_cache.njit_cached(probe if kind == "probe" else bare,
                                    parallel=parallel, nogil=True, error_model="numpy")


_loop_lock = threading.Lock()
_loops = {}


def _run_loop(kind, theta, grad, v, s, parallel):
    if parallel is None:
        parallel = kernels.use_parallel(theta.shape[0])
    key = (kind, bool(parallel))
    loop = _loops.get(key)
    if loop is None:
        with _loop_lock:
            loop = _loops.setdefault(key, _make_loop(*key))
    loop(theta, grad, v, s)


def streaming_probe(theta, grad, v, a, parallel=None):
    """Stream the bytes of a plain step with trivial arithmetic.

    ``theta -= a[0] * grad; v += grad`` in one compiled pass: it reads
    ``theta, grad, v`` and writes ``theta, v``, as a plain RMSprop step does,
    with one multiply-add per element instead of a sqrt and a division.
    Its time is the memory-bandwidth limit (roofline) of a plain step.

    Parameters
    ----------
    theta, grad, v : ndarray
        1-D contiguous arrays of one dtype and length; ``theta`` and ``v``
        are modified.
    a : ndarray
        One-element array of the same dtype (a typed scalar: no promotion).
    parallel : bool or None
        ``None`` picks the same path as :func:`adaopt.kernels.rmsprop_step`.

    Examples
    --------
    >>> import numpy as np
    >>> th, g, v = np.ones(3), np.full(3, 2.0), np.zeros(3)
    >>> streaming_probe(th, g, v, np.array([0.5]))
    >>> th, v
    (array([0., 0., 0.]), array([2., 2., 2.]))
    """
    _run_loop("probe", theta, grad, v, a, parallel)


def bare_step(theta, grad, v, s, parallel=None):
    r"""The plain update and nothing else: the arithmetic limit of a step.

    :math:`v \leftarrow \rho v + (1-\rho) g^2,\ \theta \leftarrow \theta -
    \eta\, g / (\sqrt v + \epsilon)` in one compiled vectorized pass, with
    no non-finite masking and no options: one sqrt and one division per
    element, on the same serial/parallel path as the step.  Where it is much
    slower than :func:`streaming_probe`, arithmetic, not memory, bounds a
    step.

    Parameters
    ----------
    theta, grad, v : ndarray
        As in :func:`streaming_probe`.
    s : ndarray
        ``[lr, rho, 1 - rho, eps]`` in the dtype of the vectors.
    parallel : bool or None
        As in :func:`streaming_probe`.

    Examples
    --------
    >>> import numpy as np
    >>> x, v = np.array([1.0, -2.0]), np.zeros(2)
    >>> bare_step(x, np.array([1.0, -1.0]), v, np.array([0.1, 0.9, 0.1, 1e-8]))
    >>> x.round(4)
    array([ 0.6838, -1.6838])
    """
    _run_loop("bare", theta, grad, v, s, parallel)


class NumpyRMSprop:
    r"""The plain RMSprop update in NumPy, in place, with one scratch vector.

    :math:`v \leftarrow \rho v + (1-\rho) g^2,\quad
    \theta \leftarrow \theta - \eta\, g / (\sqrt{v} + \epsilon)`, as five
    in-place ufunc passes plus a division; the fair NumPy baseline (no
    temporaries allocated per step).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0])
    >>> NumpyRMSprop(x, lr=0.1).step(np.array([1.0, -1.0]))
    >>> x.round(4)
    array([ 0.6838, -1.6838])
    """

    def __init__(self, params, lr=LR, rho=RHO, eps=EPS):
        dt = params.dtype.type
        self.params = params
        self.v = np.zeros_like(params)
        self._work = np.empty_like(params)
        self._lr, self._rho, self._omr, self._eps = dt(lr), dt(rho), dt(1.0 - rho), dt(eps)

    def step(self, grad):
        v, w = self.v, self._work
        v *= self._rho
        np.multiply(grad, grad, out=w)
        w *= self._omr
        v += w
        np.sqrt(v, out=w)
        w += self._eps
        np.divide(grad, w, out=w)
        w *= self._lr
        self.params -= w


def torch_stepper(theta, grad):
    """One ``torch.optim.RMSprop`` step as a zero-argument callable, or None.

    The optimizer (``lr``, ``alpha=rho``, ``eps`` of this module, PyTorch's
    defaults otherwise) owns a copy of ``theta`` and shares ``grad`` (see
    :func:`adaopt.method_bench.torch_stepper`), so calling it repeats the
    same step in place.  Returns None when torch is not importable.
    """
    return method_bench.torch_stepper("rmsprop", theta, grad, lr=LR, alpha=RHO, eps=EPS)


def optax_stepper(theta, grad):
    """One jitted optax ``rmsprop`` update as a zero-argument callable, or None.

    ``optax.rmsprop(lr, decay=rho, eps=eps)`` (optax's defaults otherwise:
    eps inside the sqrt), jitted as :func:`adaopt.method_bench.optax_stepper`
    describes.  Returns None when jax or optax is not importable.
    """
    return method_bench.optax_stepper("rmsprop", theta, grad, decay=RHO, eps=EPS)


def make_contenders(n, dtype, seed=0, others=True):
    """Ready-to-time callables, one step each, for length ``n`` and ``dtype``.

    Returns a dict with ``'adaopt'`` (:meth:`RMSprop.step`), ``'kernel'``
    (the compiled loop alone), ``'probe'``, ``'bare'``, ``'numpy'`` and, when
    ``others`` and importable, ``'torch'`` and ``'optax'``.  Every callable
    owns its own parameter and state arrays and has been called once (JIT
    compilation done).
    """
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n).astype(dtype)
    grad = rng.standard_normal(n).astype(dtype)

    x = theta.copy()
    opt = RMSprop(x, lr=LR, rho=RHO, eps=EPS)
    fns = {"adaopt": lambda: opt.step(grad)}

    xk, Sk = theta.copy(), np.zeros((1, n), dtype)
    hp = _plain_hp(dtype)
    kernel = kernels.get_step_kernel(False, False, kernels.use_parallel(n))
    fns["kernel"] = lambda: kernel(xk, grad, Sk, hp)

    xp, vp, a = theta.copy(), np.zeros(n, dtype), np.array([LR], dtype)
    fns["probe"] = lambda: streaming_probe(xp, grad, vp, a)
    xb, vb, sb = theta.copy(), np.zeros(n, dtype), np.array([LR, RHO, 1 - RHO, EPS], dtype)
    fns["bare"] = lambda: bare_step(xb, grad, vb, sb)

    ref = NumpyRMSprop(theta.copy())
    fns["numpy"] = lambda: ref.step(grad)
    if others:
        for name, make in (("torch", torch_stepper), ("optax", optax_stepper)):
            fn = make(theta, grad)
            if fn is not None:
                fns[name] = fn
    for fn in fns.values():
        fn()
    return fns


def bench_table(sizes=SIZES, dtypes=(np.float32, np.float64), seconds=1.0,
                others=True, out=None):
    """Measure every contender for each size and dtype; return a list of rows.

    A row is a dict: ``n``, ``dtype``, ``parallel`` and the seconds per step
    of each contender (``adaopt``, ``kernel``, ``probe``, ``bare``,
    ``numpy``, and ``torch``/``optax`` when available).  With ``out``, each row is printed
    as soon as it is measured.
    """
    rows = []
    for dtype in dtypes:
        for n in sizes:
            fns = make_contenders(n, dtype, others=others)
            row = {"n": n, "dtype": np.dtype(dtype).name,
                   "parallel": kernels.use_parallel(n)}
            # torch and optax leave thread pools spinning after each call,
            # which slows whatever runs next: they are timed on their own,
            # after adaopt and its references have been timed together.
            foreign = [name for name in ("torch", "optax") if name in fns]
            spread = {}
            row.update(measure({k: f for k, f in fns.items() if k not in foreign},
                               seconds=seconds, spread=spread))
            for name in foreign:
                row.update(measure({name: fns[name]}, seconds=seconds / 2, spread=spread))
            row["spread"] = max(spread.values())
            del fns
            rows.append(row)
            if out is not None:
                if len(rows) == 1:
                    print(_HEADER, file=out)
                print(_format_row(row), file=out, flush=True)
    return rows


_HEADER = (f"{'dtype':>7} {'n':>9} {'path':>8} {'step':>10} {'kernel':>10} {'GB/s':>6} "
           f"{'probe':>10} {'%probe':>6} {'bare':>10} {'%bare':>6} "
           f"{'xNumPy':>7} {'xtorch':>7} {'xoptax':>7} {'spread':>7}")

def _format_row(row):
    n, itemsize = row["n"], np.dtype(row["dtype"]).itemsize
    t = row["adaopt"]
    gbs = 5 * n * itemsize / t / 1e9

    def ratio(name):
        return f"{row[name] / t:7.1f}" if name in row else f"{'-':>7}"

    return (f"{row['dtype']:>7} {n:>9} {'parallel' if row['parallel'] else 'serial':>8} "
            f"{fmt_time(t):>10} {fmt_time(row['kernel']):>10} {gbs:6.1f} "
            f"{fmt_time(row['probe']):>10} {100 * row['probe'] / t:5.0f}% "
            f"{fmt_time(row['bare']):>10} {100 * row['bare'] / t:5.0f}% "
            f"{ratio('numpy')} {ratio('torch')} {ratio('optax')} "
            f"{100 * row.get('spread', 0.0):5.0f}%{' !' if is_unstable(row) else ''}")


def format_table(rows):
    """The table printed by ``python -m adaopt bench``, as a string.

    ``step`` is one :meth:`RMSprop.step` (Python call included), ``kernel``
    the compiled loop called directly; ``GB/s`` counts the ``5 n itemsize``
    bytes a plain step moves; ``%probe`` is the probe's time over the step's
    (the step's share of the roofline bandwidth), ``%bare`` the same for the
    bare arithmetic loop (how close the step is to its arithmetic limit);
    ``xNumPy``, ``xtorch``, ``xoptax`` say how many times faster the step is;
    ``spread`` is how much slower a typical sampling round was than the best
    (:func:`measure`), and a row above :data:`UNSTABLE_SPREAD` is marked
    ``!`` with :data:`UNSTABLE_NOTE` below the table.
    """
    lines = [_HEADER] + [_format_row(r) for r in rows]
    if any(is_unstable(r) for r in rows):
        lines.append(UNSTABLE_NOTE)
    return "\n".join(lines)


def threshold_scan(exponents=range(10, 19), dtypes=(np.float32, np.float64),
                   seconds=0.5, out=None):
    """Time the serial and the parallel step loop at ``n = 2**k``.

    Returns ``{dtype name: [(n, serial s, parallel s), ...]}``; the smallest
    ``n`` from which the parallel loop stays faster is where
    :data:`adaopt.kernels.PARALLEL_THRESHOLD` belongs.
    """
    result = {}
    for dtype in dtypes:
        name = np.dtype(dtype).name
        result[name] = []
        for k in exponents:
            n = 2**k
            rng = np.random.default_rng(k)
            grad = rng.standard_normal(n).astype(dtype)
            hp = _plain_hp(dtype)
            fns = {}
            for parallel in (False, True):
                arrays = (rng.standard_normal(n).astype(dtype), grad,
                          np.zeros((1, n), dtype), hp)
                kernel = kernels.get_step_kernel(False, False, parallel)
                fns[parallel] = (lambda kernel=kernel, arrays=arrays: kernel(*arrays))
                fns[parallel]()
            spread = {}
            t = measure(fns, seconds=seconds, spread=spread)
            result[name].append((n, t[False], t[True]))
            if out is not None:
                print(f"{name:>7} n=2**{k:<2} ({n:>7}): serial {t[False] * 1e6:9.2f}us "
                      f"parallel {t[True] * 1e6:9.2f}us  serial/parallel "
                      f"{t[False] / t[True]:5.2f}{stability_mark(spread)}",
                      file=out, flush=True)
    return result


def step_overhead(sizes=(10, 1000), dtypes=(np.float32, np.float64), seconds=0.5,
                  out=None):
    """Python-side cost of :meth:`RMSprop.step` at small ``n``.

    Times ``opt.step(grad)``, :func:`adaopt.kernels.rmsprop_step` and the
    compiled loop called directly, interleaved.  Returns rows of
    ``(dtype, n, step s, rmsprop_step s, loop s)``; ``step - loop`` is the
    overhead above the arithmetic.
    """
    rows = []
    for dtype in dtypes:
        for n in sizes:
            rng = np.random.default_rng(n)
            grad = rng.standard_normal(n).astype(dtype)
            x = rng.standard_normal(n).astype(dtype)
            opt = RMSprop(x, lr=LR, rho=RHO, eps=EPS, nonfinite="skip")
            xv = [x.copy(), grad, np.zeros((1, n), dtype), _plain_hp(dtype)]
            kernel = kernels.get_step_kernel(False, False, False)
            fns = {"step": lambda: opt.step(grad),
                   "rmsprop_step": lambda: kernels.rmsprop_step(*xv, False, False),
                   "loop": lambda: kernel(*xv)}
            for fn in fns.values():
                fn()
            spread = {}
            t = measure(fns, seconds=seconds, spread=spread)
            rows.append((np.dtype(dtype).name, n, t["step"], t["rmsprop_step"], t["loop"]))
            if out is not None:
                print(f"{np.dtype(dtype).name:>7} n={n:<5} RMSprop.step "
                      f"{t['step'] * 1e6:6.2f}us  rmsprop_step "
                      f"{t['rmsprop_step'] * 1e6:6.2f}us  compiled loop "
                      f"{t['loop'] * 1e6:6.2f}us  overhead "
                      f"{(t['step'] - t['loop']) * 1e6:5.2f}us{stability_mark(spread)}",
                      file=out, flush=True)
    return rows


_PACKED_SQRT = re.compile(r"\bv?sqrtp[sd]\s+[^\n]*%([xyz]mm)|\bfsqrt\s+v\d+\.")


def vectorization_report(dtypes=(np.float32, np.float64), out=None):
    """Whether each step loop vectorizes: packed square roots in its assembly.

    Each flavour (plain, centered, momentum; serial and parallel) is
    compiled afresh without the disk cache (``inspect_asm`` has nothing to
    show for code loaded from the cache) and its x86 or AArch64 assembly is
    searched for packed square-root instructions (``sqrtps``/``sqrtpd`` on
    ``xmm``/``ymm``/``zmm``, ``fsqrt v*``): a loop LLVM did not vectorize has
    only scalar ones.  Returns rows ``(dtype, flavour, path, count, widest
    register)``.
    """
    rows = []
    for centered, momentum, flavour in ((False, False, "plain"), (True, False, "centered"),
                                        (False, True, "momentum")):
        for parallel in (False, True):
            kernel = kernels.get_step_kernel(centered, momentum, parallel)
            fresh = numba.njit(kernel.py_func, parallel=parallel, nogil=True,
                               error_model="numpy")
            for dtype in dtypes:
                a = np.zeros(8, dtype)
                fresh(a, a.copy(), np.zeros((3, 8), dtype), _plain_hp(dtype))
            for sig in fresh.signatures:
                found = _PACKED_SQRT.findall(fresh.inspect_asm(sig))
                widest = max(found, key=lambda r: "xyz".find(r[:1]) if r else -1,
                             default="")
                row = (str(sig[0].dtype), flavour, "parallel" if parallel else "serial",
                       len(found), widest or ("neon" if found else "-"))
                rows.append(row)
                if out is not None:
                    print(f"{row[0]:>7} {row[1]:>8} {row[2]:>8}: {row[3]} packed sqrt "
                          f"instructions, widest register {row[4]}", file=out, flush=True)
    return rows


def _versions():
    parts = [f"numpy {np.__version__}", f"numba {numba.__version__}"]
    for mod in ("torch", "jax", "optax"):
        try:
            parts.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            parts.append(f"{mod} not installed")
    return ", ".join(parts)


def main(argv=()):
    """Entry point of ``python -m adaopt bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m adaopt bench",
        description="Time RMSprop steps against a streaming probe (roofline), "
                    "NumPy, and torch/optax when installed.")
    parser.add_argument("--quick", action="store_true",
                        help="short sampling, sizes up to 1e6 (under a minute)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="sampling time per size and dtype (default 3, quick 1)")
    parser.add_argument("--no-others", action="store_true",
                        help="skip torch and optax even when installed")
    parser.add_argument("--threshold", action="store_true",
                        help="time serial vs parallel loops around PARALLEL_THRESHOLD")
    parser.add_argument("--overhead", action="store_true",
                        help="time the Python side of RMSprop.step at small n")
    parser.add_argument("--startup", action="store_true",
                        help="time import and first calls in new processes, cold and "
                             "warm Numba cache (adaopt.startup)")
    parser.add_argument("--convergence", action="store_true",
                        help="minimize's defaults on the Moré-Garbow-Hillstrom problems, "
                             "beside L-BFGS-B and BFGS, and on a minibatch "
                             "logistic regression (adaopt.convergence)")
    parser.add_argument("--method", metavar="NAME", default=None,
                        help="time one method's step (rmsprop, adam, ..., any case) "
                             "against its streaming probe, torch and optax "
                             "(adaopt.method_bench)")
    parser.add_argument("--asm", action="store_true",
                        help="check in the assembly that every step loop vectorizes")
    args = parser.parse_args(list(argv))
    if args.seconds is not None and not args.seconds > 0:
        parser.error(f"--seconds must be > 0, got {args.seconds}")
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    out = sys.stdout
    print(f"adaopt bench: {os.cpu_count()} CPUs, numba threads "
          f"{numba.get_num_threads()}, {_versions()}", file=out)
    print(f"PARALLEL_THRESHOLD = {kernels.PARALLEL_THRESHOLD}; times are the minimum "
          "per step over interleaved rounds", file=out, flush=True)
    if args.threshold:
        threshold_scan(seconds=seconds, out=out)
        return 0
    if args.overhead:
        step_overhead(seconds=seconds, out=out)
        return 0
    if args.asm:
        vectorization_report(out=out)
        return 0
    if args.startup:
        startup.startup_table(out=out)
        return 0
    if args.convergence:
        convergence.convergence_table(out=out)
        convergence.minibatch_table(out=out)
        return 0
    if args.method is not None:
        if args.method.lower() not in METHODS:
            parser.error(f"--method must be one of {', '.join(METHODS)}, "
                         f"got {args.method!r}")
        method_bench.method_table(args.method.lower(),
                                  sizes=SIZES[:3] if args.quick else SIZES,
                                  seconds=seconds, others=not args.no_others, out=out)
        return 0
    sizes = SIZES[:3] if args.quick else SIZES
    rows = bench_table(sizes=sizes, seconds=seconds, others=not args.no_others, out=out)
    print("step: one RMSprop.step; kernel: the compiled loop alone; %probe, %bare: "
          "probe, bare-loop time / step time; xNAME: NAME time / step time; "
          "spread: median over best sampling round", file=out)
    if any(is_unstable(r) for r in rows):
        print(UNSTABLE_NOTE, file=out)
    return 0
