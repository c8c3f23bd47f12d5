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
from numba.core import caching

from reliability_tools import ROOT, child_env, last_json, run_child

#: The end of the script below: minimize each objective of ``OBJECTIVES``
#: with the compiled and the Python driver and print the answers as JSON.
RUN_BOTH_DRIVERS = """
    # a constant rate: 40 steps stop short of the minimum, so x shows which
    # values the driver read (the default rule would reach the minimum,
    # where every scale of the callee gives the same x)
    options = dict(lr=0.05, maxiter=40, gtol=0.0, lr_schedule=None)
    out = {}
    for name, fg in OBJECTIVES.items():
        res = adaopt.minimize(fg, np.zeros(2), jac=True,
                              options=dict(options, driver="compiled"))
        ref = adaopt.minimize(fg, np.zeros(2), jac=True,
                              options=dict(options, driver="python"))
        out[name] = {"x": res.x.tolist(), "status": res.status, "ref": ref.x.tolist()}
    print(json.dumps(out))
"""

#: The objectives of the stale-driver cases, in one script (one pair of
#: processes for both): ``global`` is ``0.5 |x - TARGET|^2``, with TARGET a
#: module-level array read from the environment when the script starts;
#: ``callee`` calls a jitted function of another module file whose
#: module-level array comes from the environment.  Each run is compared with
#: the Python driver in the same process (which calls the objective from
#: Python: always the current globals).
HELPER_MODULE = """
    import os

    import numba
    import numpy as np

    SCALE = np.full(2, float(os.environ["ADAOPT_TEST_SCALE"]))

    @numba.njit
    def scaled(d):
        return SCALE * d
"""

STALE_SCRIPT = """
    import json
    import os

    import numba
    import numpy as np

    import adaopt
    from cache_helper import scaled

    TARGET = np.full(2, float(os.environ["ADAOPT_TEST_TARGET"]))

    @numba.njit
    def global_fg(x):
        d = x - TARGET
        return 0.5 * np.sum(d * d), d

    @numba.njit
    def callee_fg(x):
        g = scaled(x - 1.0)
        return 0.5 * np.sum(g * (x - 1.0)), g

    OBJECTIVES = {"global": global_fg, "callee": callee_fg}
""" + RUN_BOTH_DRIVERS


def run_script(path, env, timeout=300):
    """Run the script file ``path`` in a fresh interpreter; return its JSON line."""
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, cwd=path.parent, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def script_env(directory, **extra):
    # The session's cache: adaopt's own kernels load from it instead of
    # compiling again in each child; what the test is about, the drivers of
    # these objectives, the two children share through it all the same.
    env = child_env(session_cache=True, **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(directory), env["PYTHONPATH"]])
    return env


def test_drivers_of_objectives_whose_globals_changed_are_not_reused(tmp_path):
    """Regression: the second process got the first one's answer, status 0 --
    for a global array the objective reads, and for one a jitted function of
    another module that it calls reads."""
    (tmp_path / "cache_helper.py").write_text(textwrap.dedent(HELPER_MODULE))
    script = tmp_path / "stale.py"
    script.write_text(textwrap.dedent(STALE_SCRIPT))
    values = [dict(ADAOPT_TEST_TARGET="1.0", ADAOPT_TEST_SCALE="1.0"),
              dict(ADAOPT_TEST_TARGET="-2.0", ADAOPT_TEST_SCALE="4.0")]
    first, second = (run_script(script, script_env(tmp_path, **v))
                     for v in values)
    for run in (first, second):
        for name, got in run.items():
            # the compiled driver agrees with the Python driver to the bit
            assert got["x"] == got["ref"], (name, got)
    # and the two processes really had different objectives
    assert np.all(np.sign(first["global"]["x"]) == 1.0)
    assert np.all(np.sign(second["global"]["x"]) == -1.0)
    assert first["callee"]["x"] != second["callee"]["x"]


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
    from adaopt._objective_digest import objective_digest
    return objective_digest(fun, jac)


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


# -- nobody else's cache is loaded ---------------------------------------------

from adaopt import _numba_cache  # noqa: E402

OTHER_UID = 65534    # nobody
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="giving a file to another user needs root")


def test_own_private_directory_is_safe(tmp_path):
    os.chmod(tmp_path, 0o700)
    assert _numba_cache.unsafe_dir(tmp_path) is None
    os.chmod(tmp_path, 0o755)
    assert _numba_cache.unsafe_dir(tmp_path) is None


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_directory_others_can_write_is_unsafe(tmp_path, mode):
    os.chmod(tmp_path, mode)
    assert "writable by other users" in _numba_cache.unsafe_dir(tmp_path)


def test_directory_under_one_others_can_write_is_unsafe(tmp_path):
    # others could rename the cache away and put their own in its place
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o777)
    assert _numba_cache.unsafe_dir(cache) == f"{tmp_path} is writable by other users"
    # ... unless the sticky bit stops them, as in /tmp
    os.chmod(tmp_path, 0o1777)
    assert _numba_cache.unsafe_dir(cache) is None


@as_root
def test_directory_of_another_user_is_unsafe(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, OTHER_UID, OTHER_UID)
    assert _numba_cache.unsafe_dir(cache) == f"{cache} belongs to uid {OTHER_UID}"
    os.chown(cache, os.geteuid(), -1)
    os.chown(tmp_path, OTHER_UID, OTHER_UID)     # an owner above it
    assert _numba_cache.unsafe_dir(cache) == f"{tmp_path} belongs to uid {OTHER_UID}"


@as_root
def test_directory_reached_through_another_users_link_is_unsafe(tmp_path):
    target = tmp_path / "mine"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert _numba_cache.unsafe_dir(link) is None
    os.lchown(link, OTHER_UID, OTHER_UID)
    assert _numba_cache.unsafe_dir(link) == f"{link} belongs to uid {OTHER_UID}"
    # the target's own chain is checked too
    os.lchown(link, os.geteuid(), -1)
    os.chmod(target, 0o777)
    assert _numba_cache.unsafe_dir(link).endswith("is writable by other users")


def test_file_checks(tmp_path):
    path = tmp_path / "f.nbi"
    assert _numba_cache.unsafe_file(path) is None          # missing: a plain miss
    path.write_bytes(b"x")
    os.chmod(path, 0o644)
    assert _numba_cache.unsafe_file(path) is None
    os.chmod(path, 0o664)
    assert _numba_cache.unsafe_file(path) == f"{path} is writable by other users"
    os.chmod(path, 0o644)
    link = tmp_path / "g.nbi"
    link.symlink_to(path)
    assert _numba_cache.unsafe_file(link) == f"{link} is not a regular file"
    assert _numba_cache.unsafe_file(tmp_path) == f"{tmp_path} is not a regular file"
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, OTHER_UID)
        assert _numba_cache.unsafe_file(path) == f"{path} belongs to uid {OTHER_UID}"


#: What a child computes with a cache planted in NUMBA_CACHE_DIR: a few steps
#: of the plain serial kernel (its build with the plain body alone, the one
#: these default settings run), and where its cache is and its hits.
PLANT_WORK = """
    import json
    from adaopt import kernels
    from reliability_tools import trajectory

    x = trajectory(0, 5, n=50)
    kernel = kernels.with_bodies(kernels.get_step_kernel(False, False, False), "plain")
    print(json.dumps({"x": x.tolist(), "cache_path": kernel._cache.cache_path,
                      "hits": sum(kernel.stats.cache_hits.values())}))
"""


class _Planted:
    """A pickle that, when loaded, creates the file ``marker``: planted code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory):
    """A NUMBA_CACHE_DIR filled by a child running PLANT_WORK."""
    cache = tmp_path_factory.mktemp("real") / "cache"
    run_child(PLANT_WORK, env=child_env(NUMBA_CACHE_DIR=cache))
    assert any(cache.rglob("*.nbi")) and any(cache.rglob("*.nbc"))
    return cache


def plant(real_cache, cache, marker, what):
    """Copy ``real_cache`` to ``cache``, ``what`` ('index' or 'data') files planted.

    A planted index is Numba's version stamp followed by a :class:`_Planted`
    pickle; a planted data file is that pickle alone.  Returns their paths.
    """
    import pickle
    import shutil

    shutil.copytree(real_cache, cache)
    planted = []
    for path in cache.rglob("*"):
        if path.suffix == {"index": ".nbi", "data": ".nbc"}[what]:
            head = pickle.dumps(numba.__version__, protocol=-1) if what == "index" else b""
            path.write_bytes(head + pickle.dumps(_Planted(marker)))
            planted.append(path)
    return planted


def run_planted(cache, tmp_path):
    proc = run_child(PLANT_WORK, env=child_env(NUMBA_CACHE_DIR=cache), cwd=tmp_path)
    return last_json(proc), proc.stderr


@pytest.fixture(scope="module")
def expected_x():
    from reliability_tools import trajectory
    return trajectory(0, 5, n=50).tolist()


def test_planted_entry_runs_when_its_files_pass(real_cache, tmp_path, expected_x):
    """The control: loading a planted pickle of ours does run its code."""
    marker = tmp_path / "marker"
    plant(real_cache, tmp_path / "cache", marker, "data")
    report, _ = run_planted(tmp_path / "cache", tmp_path)
    assert marker.exists()
    assert report["x"] == expected_x and report["hits"] == 0


@pytest.mark.parametrize("where", ["cache dir", "dir above", "new dir"])
def test_cache_dir_others_can_write_is_not_used(real_cache, tmp_path, expected_x, where):
    marker = tmp_path / "marker"
    shared = tmp_path / "shared"
    shared.mkdir()
    cache = shared / "cache"
    if where == "new dir":      # NUMBA_CACHE_DIR not there yet: nothing is created
        planted = ["none"]
    else:
        planted = plant(real_cache, cache, marker, "index")
    os.chmod(cache if where == "cache dir" else shared, 0o777)   # no sticky bit
    before = entries_and_bytes(shared)
    report, stderr = run_planted(cache, tmp_path)
    assert not marker.exists()
    assert planted and report["x"] == expected_x
    # compiled elsewhere (a safe locator: here the package's __pycache__)
    assert not report["cache_path"].startswith(str(cache))
    assert entries_and_bytes(shared) == before          # nothing written there
    assert "adaopt does not use NUMBA_CACHE_DIR" in stderr
    assert "is writable by other users" in stderr


def entries_and_bytes(root):
    return {str(p): p.read_bytes() if p.is_file() else None
            for p in sorted(root.rglob("*"))}


def test_nothing_is_created_in_a_directory_others_can_write(tmp_path):
    os.chmod(tmp_path, 0o777)
    why = _numba_cache._unsafe_to_create(tmp_path / "a" / "b")
    assert why == f"{tmp_path} is writable by other users"
    os.chmod(tmp_path, 0o1777)
    assert _numba_cache._unsafe_to_create(tmp_path / "a" / "b") is None


@pytest.mark.parametrize("what, damage", [
    ("index", "other owner"), ("data", "other owner"), ("data", "others can write"),
    ("index", "link"),
])
def test_cache_file_of_someone_else_is_not_loaded(real_cache, tmp_path, expected_x,
                                                  what, damage):
    if damage == "other owner" and os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    marker = tmp_path / "marker"
    cache = tmp_path / "cache"
    for path in plant(real_cache, cache, marker, what):
        if damage == "other owner":
            os.chown(path, OTHER_UID, OTHER_UID)
        elif damage == "others can write":
            os.chmod(path, 0o666)
        else:
            target = tmp_path / path.name
            path.rename(target)
            path.symlink_to(target)
    report, _ = run_planted(cache, tmp_path)
    assert not marker.exists()
    assert report["x"] == expected_x
    assert report["cache_path"].startswith(str(cache)) and report["hits"] == 0
    # the refused entry is replaced by this user's own: the next run loads it
    report, _ = run_planted(cache, tmp_path)
    assert not marker.exists()
    assert report["x"] == expected_x and report["hits"] == 1


# -- an untested Numba gets no disk cache --------------------------------------

def test_untested_numba_compiles_in_memory(monkeypatch):
    monkeypatch.setattr(_numba_cache, "numba_tested", lambda version=None: False)
    monkeypatch.setattr(_numba_cache, "_warned", set())

    def add_one(x):
        return x + 1.0

    with pytest.warns(RuntimeWarning, match="compile cache is off"):
        dispatcher = _numba_cache.njit_cached(add_one)
    assert isinstance(dispatcher._cache, caching.NullCache)    # cache=False
    assert dispatcher(1.5) == 2.5


@pytest.mark.parametrize("version, tested", [
    ("0.68.0", True), ("0.68.1", True), ("0.68.2rc1", True), ("0.67.0", False),
    ("0.69.0", False), ("0.69.0rc1", False), ("1.0.0", False), ("unknown", False)])
def test_numba_versions_tested(version, tested):
    assert _numba_cache.numba_tested(version) is tested


def test_tested_numba_is_installed_and_required():
    import re

    assert _numba_cache.numba_tested()
    requirement = re.search(r'"numba([^"]*)"', (ROOT / "pyproject.toml").read_text())
    low, high = (".".join(map(str, v)) for v in _numba_cache.TESTED_NUMBA)
    assert requirement.group(1) == f">={low},<{high}"


def test_every_cached_dispatcher_of_adaopt_uses_the_safe_cache():
    """No module of adaopt caches through Numba's plain ``cache=True``,
    which loads entries from any directory (regression: the jitted test
    problems did, so a planted pickle ran)."""
    import importlib
    import pkgutil

    import adaopt
    from numba.core.dispatcher import Dispatcher

    found = []
    for info in pkgutil.iter_modules(adaopt.__path__):
        module = importlib.import_module(f"adaopt.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and isinstance(obj._cache, caching.FunctionCache):
                found.append((info.name, name, type(obj._cache)))
    assert found, "no cached dispatcher found at module level"
    plain = [f for f in found if f[2] is caching.FunctionCache or
             f[2].__module__ != "adaopt._numba_cache"]
    assert not plain, plain
