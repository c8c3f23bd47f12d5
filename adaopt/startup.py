"""First call in a new process: import time and compile time (``bench --startup``).

Each case runs in a fresh interpreter, twice: with an empty Numba cache
directory (``NUMBA_CACHE_DIR``, a new temporary one: *cold*, everything is
compiled) and again with the cache the first run wrote (*warm*, what every
later session of a user sees).  The time is wall-clock seconds from after
``import numpy, numba`` (the floor every Numba user pays) to the end of the
case's first call, ``import adaopt`` included (the minimize cases run 100 iterations: the time
is the start, not the run), as
``python -m adaopt bench --startup`` prints it and the asv benchmarks
``bench_startup`` time it.  These are measurements, never test assertions:
the machine is shared and compile times vary by tens of percent.
"""

import math
import os
import subprocess
import sys
import tempfile
import textwrap

__all__ = ["CASES", "TARGETS", "case_source", "time_case", "startup_table"]

_ROSEN = """
@numba.njit(cache=True)
def f(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2

@numba.njit(cache=True)
def g(x):
    return np.array([-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] ** 2),
                     200.0 * (x[1] - x[0] ** 2)])
"""

#: name -> (what the row is, the code of the first call; numpy is ``np``).
CASES = {
    "import": ("import adaopt", ""),
    # what every Numba user's first call of a cached function costs: Numba
    # sets up its compiler (typing and target registries; numba.np.linalg
    # imports scipy.linalg to find BLAS) on the first call of any jitted
    # function, cached or not
    "numba_floor": ("floor: a one-line @njit(cache=True) function",
                    "@numba.njit(cache=True)\ndef one(x):\n    return x + 1.0\none(1.0)"),
    "step_10": ("RMSprop.step, n = 10",
                "x = np.zeros(10)\nadaopt.RMSprop(x).step(np.ones(10))"),
    "step_1e5": ("RMSprop.step, n = 1e5 (parallel)",
                 "x = np.zeros(100_000)\nadaopt.RMSprop(x).step(np.ones(100_000))"),
    "minimize_python": ("minimize, Python objective",
                        "from scipy.optimize import rosen, rosen_der\n"
                        "adaopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der,\n"
                        "                options=dict(maxiter=100))"),
    "minimize_jitted": ("minimize, @njit(cache=True) objective",
                        _ROSEN + "adaopt.minimize(f, np.array([-1.2, 1.0]), jac=g,\n"
                        "                options=dict(maxiter=100))"),
    "njit_entry": ("user @njit(cache=True) code calling rmsprop_njit",
                   _ROSEN + "@numba.njit(cache=True)\ndef run(x0):\n"
                   "    return adaopt.rmsprop_njit(f, x0, jac=g, maxiter=100)\n"
                   "run(np.array([-1.2, 1.0]))"),
}

#: The targets of a cold first call, seconds (issue "First call in a new
#: process"); warm: 0.1 s above the floor (``numba_floor``) for every call.
TARGETS = {"import": 0.1, "numba_floor": math.nan, "step_10": 1.0, "step_1e5": 1.0, "minimize_python": 1.5,
           "minimize_jitted": 3.0, "njit_entry": 5.0}


def case_source(name):
    """The program of case ``name``: prints the seconds of its first call."""
    body = CASES[name][1]
    return textwrap.dedent("""\
        import time
        import numpy as np, numba
        t0 = time.perf_counter()
        import adaopt
        {body}
        print(time.perf_counter() - t0)
        """).format(body=body)


def time_case(name, cache_dir):
    """Seconds of case ``name`` in a new interpreter with ``cache_dir`` as its cache.

    The program is written into ``cache_dir`` (a ``cache=True`` objective
    needs a source file, and keeping the file keeps its cache valid).
    """
    path = os.path.join(cache_dir, f"startup_{name}.py")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(case_source(name))
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, ADAOPT_COMPILE_NOTICE="0")
    done = subprocess.run([sys.executable, path], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"startup case {name} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def startup_table(names=tuple(CASES), out=sys.stdout):
    """Time every case cold then warm; print and return ``[(name, cold, warm)]``."""
    rows = []
    print(f"{'first call':52s} {'cold s':>7s} {'warm s':>7s} {'target':>7s}  (cold)",
          file=out)
    for name in names:
        with tempfile.TemporaryDirectory(prefix="adaopt-startup-") as cache_dir:
            cold = time_case(name, cache_dir)
            warm = time_case(name, cache_dir)
        rows.append((name, cold, warm))
        print(f"{CASES[name][0]:52s} {cold:7.2f} {warm:7.2f} {TARGETS[name]:7.1f}",
              file=out, flush=True)
    print("seconds after `import numpy, numba`, `import adaopt` included; a new "
          "interpreter each, cold: an empty NUMBA_CACHE_DIR, warm: the same again; "
          "the floor is what any Numba user's first cached call costs", file=out)
    return rows
