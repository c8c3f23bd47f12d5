"""The on-disk compile cache never gives a wrong answer nor loads foreign code.

* A compiled driver is keyed on everything Numba freezes into the objective
  (its globals, closure values, defaults and the jitted functions it calls);
  an objective whose key cannot be proven gets an in-memory driver only.
  The end-to-end cases run two child processes on one ``NUMBA_CACHE_DIR``
  whose objectives read a module-level array set from the environment.
* A cache directory or cache file that another user owns or can write is
  never loaded (cache entries are pickles: loading one runs code).
* A Numba outside the tested releases gets no disk cache at all.
"""

import json
import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

from reliability_tools import ROOT, child_env

#: The objective of the stale-driver cases: ``0.5 |x - TARGET|^2``, with
#: TARGET a module-level array read from the environment when the script
#: starts.  The run is compared with the Python driver in the same process
#: (which calls the objective from Python: always the current globals).
STALE_SCRIPT = """
    import json
    import os
    import sys

    import numba
    import numpy as np

    import adaopt

    TARGET = np.full(2, float(os.environ["ADAOPT_TEST_TARGET"]))

    @numba.njit
    def fg(x):
        d = x - TARGET
        return 0.5 * np.sum(d * d), d

    options = dict(lr=0.05, maxiter=40, gtol=0.0)
    res = adaopt.minimize(fg, np.zeros(2), jac=True,
                          options=dict(options, driver="compiled"))
    ref = adaopt.minimize(fg, np.zeros(2), jac=True,
                          options=dict(options, driver="python"))
    print(json.dumps({"x": res.x.tolist(), "status": res.status,
                      "ref": ref.x.tolist()}))
"""

#: The objective calls a jitted function of another module file, whose
#: module-level array comes from the environment.
HELPER_MODULE = """
    import os

    import numba
    import numpy as np

    SCALE = np.full(2, float(os.environ["ADAOPT_TEST_SCALE"]))

    @numba.njit
    def scaled(d):
        return SCALE * d
"""

HELPER_SCRIPT = """
    import json
    import sys

    import numba
    import numpy as np

    import adaopt
    from cache_helper import scaled

    @numba.njit
    def fg(x):
        g = scaled(x - 1.0)
        return 0.5 * np.sum(g * (x - 1.0)), g

    options = dict(lr=0.05, maxiter=40, gtol=0.0)
    res = adaopt.minimize(fg, np.zeros(2), jac=True,
                          options=dict(options, driver="compiled"))
    ref = adaopt.minimize(fg, np.zeros(2), jac=True,
                          options=dict(options, driver="python"))
    print(json.dumps({"x": res.x.tolist(), "status": res.status,
                      "ref": ref.x.tolist()}))
"""


def run_script(path, env, timeout=300):
    """Run the script file ``path`` in a fresh interpreter; return its JSON line."""
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, cwd=path.parent, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One NUMBA_CACHE_DIR for the child processes of this module."""
    return tmp_path_factory.mktemp("numba-cache")


def script_env(cache, directory, **extra):
    env = child_env(NUMBA_CACHE_DIR=cache, **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(directory), env["PYTHONPATH"]])
    return env


def test_driver_of_an_objective_whose_global_changed_is_not_reused(tmp_path, shared_cache):
    """Regression: the second process got the first one's answer, status 0."""
    script = tmp_path / "stale_global.py"
    script.write_text(textwrap.dedent(STALE_SCRIPT))
    runs = {}
    for target in ("1.0", "-2.0"):
        runs[target] = run_script(script, script_env(shared_cache, tmp_path,
                                                     ADAOPT_TEST_TARGET=target))
    for target, got in runs.items():
        # the compiled driver agrees with the Python driver to the bit
        assert got["x"] == got["ref"], (target, got)
    # and the two runs really went to different targets
    assert np.all(np.sign(runs["1.0"]["x"]) == 1.0)
    assert np.all(np.sign(runs["-2.0"]["x"]) == -1.0)


def test_driver_of_an_objective_whose_callee_global_changed_is_not_reused(
        tmp_path, shared_cache):
    (tmp_path / "cache_helper.py").write_text(textwrap.dedent(HELPER_MODULE))
    script = tmp_path / "stale_callee.py"
    script.write_text(textwrap.dedent(HELPER_SCRIPT))
    runs = {}
    for scale in ("1.0", "4.0"):
        runs[scale] = run_script(script, script_env(shared_cache, tmp_path,
                                                    ADAOPT_TEST_SCALE=scale))
    for scale, got in runs.items():
        assert got["x"] == got["ref"], (scale, got)
    assert runs["1.0"]["x"] != runs["4.0"]["x"]


# -- what the driver's name covers (in process: naming compiles nothing) ------

def load_module(directory, name, source):
    """Import ``source`` as module ``name`` from a file in ``directory``."""
    import importlib.util

    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """``modules(name, source)`` imports a module file written into tmp_path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def make(name, source):
        names.append(name)
        return load_module(tmp_path, name, source)
    yield make
    for name in names:
        sys.modules.pop(name, None)


def digest(fun, jac=None):
    from adaopt import compiled
    return compiled._objective_digest(fun, jac)


OBJECTIVES = """
    import math
    from math import pi

    import numba
    import numpy as np
    from numpy import sqrt

    A = np.ones(2)
    K = 3

    @numba.njit
    def reads_array(x):
        return np.sum(A * x), A.copy()

    @numba.njit
    def reads_int(x):
        return np.sum(x) * K, np.full(x.shape, float(K))

    @numba.njit
    def trusted_names(x):
        return math.sqrt(pi) * np.sum(sqrt(x * x)), np.ones_like(x) * math.e

    @numba.njit
    def with_default(x, c=1.0):
        return np.sum(x) * c, np.full(x.shape, c)

    @numba.njit
    def countdown(n):
        return 0 if n <= 0 else countdown(n - 1)

    @numba.njit
    def recursive(x):
        return float(countdown(3)) + np.sum(x), np.ones_like(x)

    def make(c):
        @numba.njit
        def closure(x):
            return np.sum((x - c) ** 2), 2.0 * (x - c)
        return closure
"""


def test_digest_follows_a_global_array_and_number(modules):
    mod = modules("cache_objectives_a", OBJECTIVES)
    first = digest(mod.reads_array)
    assert first is not None
    mod.A = np.full(2, 2.0)
    assert digest(mod.reads_array) not in (first, None)
    mod.A = np.ones(2, dtype=np.float32)      # same values, another dtype
    assert digest(mod.reads_array) not in (first, None)
    mod.A = np.ones(2)
    assert digest(mod.reads_array) == first    # the same values: the same name
    assert digest(mod.reads_array, mod.reads_array) not in (first, None)
    before = digest(mod.reads_int)
    mod.K = 4
    assert digest(mod.reads_int) not in (before, None)


def test_digest_follows_closure_values_and_defaults(modules):
    mod = modules("cache_objectives_b", OBJECTIVES)
    names = {digest(mod.make(c)) for c in (1.0, 2.0, np.zeros(2), np.ones(2), (1, 2.0))}
    assert None not in names and len(names) == 5
    assert digest(mod.make(1.0)) == digest(mod.make(1.0))
    before = digest(mod.with_default)
    mod.with_default.py_func.__defaults__ = (2.0,)
    assert digest(mod.with_default) not in (before, None)


def test_digest_follows_a_jitted_callee_in_another_module(modules):
    helper = modules("cache_helper_c", HELPER_MODULE.replace(
        'float(os.environ["ADAOPT_TEST_SCALE"])', "1.0"))
    mod = modules("cache_caller_c", """
        import numba
        import numpy as np
        from cache_helper_c import scaled

        @numba.njit
        def fg(x):
            g = scaled(x - 1.0)
            return 0.5 * np.sum(g * (x - 1.0)), g
    """)
    before = digest(mod.fg)
    assert before is not None
    helper.SCALE = np.full(2, 4.0)
    assert digest(mod.fg) not in (before, None)


def test_digest_of_trusted_and_recursive_objectives(modules):
    mod = modules("cache_objectives_d", OBJECTIVES)
    assert digest(mod.trusted_names) is not None
    assert digest(mod.recursive) is not None          # no endless recursion
    assert digest(mod.recursive) == digest(mod.recursive)


@pytest.mark.parametrize("expression", [
    "cache_helper_e.scaled(x)",          # a function reached through a user module
    "PLAIN(x)",                          # a Python function Numba may overload
    "CONFIG.scale * x",                  # an object's attribute
    "np.asarray(LIST) * x",              # a list (reflected, not frozen)
])
def test_digest_is_none_for_what_cannot_be_proven(modules, expression):
    modules("cache_helper_e", HELPER_MODULE.replace(
        'float(os.environ["ADAOPT_TEST_SCALE"])', "1.0"))
    mod = modules(f"cache_objective_e{abs(hash(expression))}", f"""
        import types

        import numba
        import numpy as np

        import cache_helper_e

        def PLAIN(x):
            return x
        CONFIG = types.SimpleNamespace(scale=2.0)
        LIST = [1.0, 2.0]

        @numba.njit
        def fg(x):
            g = {expression}
            return np.sum(g), g
    """)
    assert digest(mod.fg) is None
