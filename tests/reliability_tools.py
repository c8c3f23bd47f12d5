"""Run crash-prone reliability experiments in a child Python process.

A threading-layer abort, a segfault or a hang in the child fails one test
with the child's output instead of killing or freezing pytest.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

#: The repository root: children import adaopt from this source tree.
ROOT = Path(__file__).resolve().parents[1]

#: Elements in the vectors of these tests: just above the parallel threshold,
#: so every step takes the parallel path and stays cheap.
from adaopt.kernels import PARALLEL_THRESHOLD  # noqa: E402

N_PARALLEL = PARALLEL_THRESHOLD + 1000


def available_layers():
    """The threading layers Numba can load here (without starting any).

    workqueue is built into Numba; omp needs an OpenMP runtime (the system
    libgomp for pip's numba on Linux), tbb a loadable libtbb.
    """
    layers = ["workqueue"]
    try:
        from numba.np.ufunc import omppool  # noqa: F401
        layers.append("omp")
    except ImportError:
        pass
    try:
        from numba.np.ufunc import parallel
        parallel._check_tbb_version_compatible()
        from numba.np.ufunc import tbbpool  # noqa: F401
        layers.append("tbb")
    except ImportError:
        pass
    return layers


#: The layers the threading and process tests run under.
LAYERS = available_layers()


def child_env(layer=None, *, session_cache=False, **extra):
    """Environment of a child: this source tree (and these tools) first.

    Two threads, so that a parallel region really runs several threads even
    on a one-core CI machine.  ``layer`` forces ``NUMBA_THREADING_LAYER``;
    None leaves Numba's default choice (which is what a plain install gets).

    The child gets Numba's default cache location, the source tree's
    ``__pycache__``: where this session caches too, unless it runs with
    ``NUMBA_CACHE_DIR``.  ``session_cache=True`` (for children whose test is
    not about the cache) keeps this session's ``NUMBA_CACHE_DIR`` if it has
    one, so that such a child loads what the session compiled instead of
    compiling all of it again.

    Background compilation is off (``ADAOPT_BACKGROUND_COMPILE=0``): these
    children test the parallel builds, their caches and their threading
    layers, which a long vector must then run from its first step rather
    than once a thread has compiled them (tests/test_background_compile.py
    tests that path in children of its own).
    """
    env = dict(os.environ)
    env["ADAOPT_BACKGROUND_COMPILE"] = "0"
    for key in ("NUMBA_THREADING_LAYER", "NUMBA_NUM_THREADS", "NUMBA_DISABLE_JIT"):
        env.pop(key, None)
    if not session_cache:
        env.pop("NUMBA_CACHE_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "tests")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NUMBA_NUM_THREADS"] = "2"
    if layer is not None:
        env["NUMBA_THREADING_LAYER"] = layer
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_child(code, *, env=None, timeout=300, cwd=None, unprivileged=False,
              check=True):
    """Run ``code`` (dedented) in a fresh interpreter; return the CompletedProcess.

    With ``check``, a non-zero exit, a signal or a timeout fails with the
    child's output.  ``unprivileged`` runs it with
    :func:`drop_file_privileges`, for the read-only install tests.
    """
    kwargs = {}
    if unprivileged:
        kwargs["preexec_fn"] = drop_file_privileges
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
            text=True, timeout=timeout, env=env if env is not None else child_env(),
            cwd=cwd if cwd is not None else ROOT, **kwargs)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(
            f"child hung (killed after {timeout} s)\nstdout:\n{err.stdout}\n"
            f"stderr:\n{err.stderr}") from None
    if check and proc.returncode != 0:
        raise AssertionError(
            f"child exited with {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
            f"stderr:\n{proc.stderr[-4000:]}")
    return proc


def last_json(proc):
    """The JSON document on the child's last line of stdout."""
    lines = proc.stdout.strip().splitlines()
    assert lines, f"child printed nothing; stderr:\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1])


#: Optimizer settings the concurrency tests run side by side: every compiled
#: flavour (plain, centered, momentum, both) and the parallel clip_norm sum.
CONFIGS = (
    (np.float64, dict(lr=0.01)),
    (np.float32, dict(lr=0.01, centered=True, momentum=0.9)),
    (np.float64, dict(lr=0.01, momentum=0.5, nesterov=True, clip_norm=1.0)),
    (np.float32, dict(lr=0.01, centered=True, bias_correction=True,
                      weight_decay=0.1)),
)


def trajectory(seed, steps, n=N_PARALLEL):
    """Run ``steps`` RMSprop steps on a quadratic; return the final params.

    The gradient ``x - c`` depends on the iterate, so any lost, doubled or
    torn update changes every later step and shows in the result.
    """
    import adaopt

    dtype, options = CONFIGS[seed % len(CONFIGS)]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    c = rng.standard_normal(n).astype(dtype)
    opt = adaopt.RMSprop(x, **options)
    for _ in range(steps):
        opt.step(x - c)
    return x


def pool_task(seed, steps=20, run="step"):
    """Work sent to a process pool: a trajectory of ``RUNS[run]``, and whether
    the worker was allowed parallel kernels (False in a fork of a GNU OpenMP
    parent)."""
    from adaopt import _threading

    return RUNS[run](seed, steps), _threading.parallel_allowed()


def de_objective(p):
    """An objective for scipy's process ``workers`` that steps adaopt inside.

    Three RMSprop steps on a parallel-size vector filled with ``p[0]``,
    minimizing ``sum((x - p[1])**2)``; returns the value at the end.
    """
    import adaopt

    x = np.full(N_PARALLEL, p[0])
    opt = adaopt.RMSprop(x, lr=0.1)
    for _ in range(3):
        opt.step(2 * (x - p[1]))
    return float(np.sum((x - p[1]) ** 2) + p[0] ** 2)


def minimize_trajectory(seed, steps, n=N_PARALLEL):
    """``adaopt.minimize`` on the quadratic of :func:`trajectory`; returns ``x``.

    ``gtol=0`` so that every run takes exactly ``steps`` iterations.
    """
    import adaopt

    dtype, options = CONFIGS[seed % len(CONFIGS)]
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(n).astype(dtype)
    c = rng.standard_normal(n).astype(dtype)
    res = adaopt.minimize(lambda x: 0.5 * float(np.dot(x - c, x - c)), x0,
                          jac=lambda x: x - c,
                          options=dict(options, maxiter=steps, gtol=0.0))
    assert res.nit == steps, res
    return res.x


#: What a thread or pool worker runs, by name.
RUNS = {"step": trajectory, "minimize": minimize_trajectory}


def drop_file_privileges():
    """``preexec_fn``: as root, give up the capabilities that bypass file modes.

    Drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from the
    bounding set, so the child (and what it execs) is still uid 0 but can
    no longer write into a directory without write permission: a read-only
    site-packages as a plain user sees it, while the interpreter (under
    /root here) stays reachable.  A no-op for a non-root user.
    """
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP = 24
    for cap in (1, 2, 3):  # DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
