"""Read-only installs and broken caches never break a step or ``minimize``.

Each case runs adaopt in child processes (``reliability_tools.run_child``)
and compares their results bitwise with this process's.  A read-only
install is a copy of the package in a directory without write permission;
as root the child drops the capabilities that bypass file modes, so it sees
the directory as a plain user sees a root-owned site-packages.
"""

import os
import shutil
import stat

import numpy as np
import pytest

from reliability_tools import (N_PARALLEL, ROOT, child_env, last_json, minimize_trajectory,
                               run_child, trajectory)

#: What each child computes: one serial and one parallel step flavour, and a
#: small minimize (serial driver), each a few iterations.
WORK = f"""
    import json
    import numpy as np
    import adaopt
    from adaopt import kernels
    from reliability_tools import minimize_trajectory, trajectory

    xs = {{"step_parallel": trajectory(1, 5),
           "step_small": trajectory(0, 5, n=50)}}
    if @MINIMIZE@:
        xs["minimize_small"] = minimize_trajectory(3, 5, n=50)
    np.savez(@OUT@, **xs)
    dispatchers = [kernels.with_bodies(kernels.get_step_kernel(c, m, p), b)
                   for c in (False, True) for m in (False, True) for p in (False, True)
                   for b in kernels.BODIES]
    print(json.dumps({{
        "file": adaopt.__file__,
        "hits": sum(sum(d.stats.cache_hits.values()) for d in dispatchers),
        "misses": sum(sum(d.stats.cache_misses.values()) for d in dispatchers),
        "cache_path": getattr(dispatchers[0]._cache, "cache_path", None),
    }}))
"""


@pytest.fixture(scope="module")
def expected():
    return {"step_parallel": trajectory(1, 5),
            "step_small": trajectory(0, 5, n=50),
            "minimize_small": minimize_trajectory(3, 5, n=50)}


def run_work(tmp_path, env, name, minimize=True, **kwargs):
    """Run WORK in a child; return its report and its results.

    ``minimize=False`` leaves out the minimize run (and the compile of its
    driver, the slowest part of a cold run).
    """
    out = tmp_path / f"{name}.npz"
    code = WORK.replace("@OUT@", repr(str(out))).replace("@MINIMIZE@", str(minimize))
    proc = run_child(code, env=env, **kwargs)
    return last_json(proc), dict(np.load(out))


def assert_same(results, expected):
    assert {"step_parallel", "step_small"} <= set(results) <= set(expected)
    for key, got in results.items():
        np.testing.assert_array_equal(got, expected[key], err_msg=key)


def make_read_only(path):
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o444)
        os.chmod(dirpath, 0o555)


@pytest.fixture
def read_only_site(tmp_path):
    """A copy of the package in a read-only 'site-packages'."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "adaopt", site / "adaopt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    make_read_only(site)
    yield site
    # let pytest clean up (as a plain user it could not delete read-only dirs)
    for dirpath, _, _ in os.walk(site):
        os.chmod(dirpath, 0o755)


def site_env(site, tmp_path, **extra):
    env = child_env(**extra)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "tests")])
    env.pop("XDG_CACHE_HOME", None)
    read_only_home = tmp_path / "readonly-home"
    read_only_home.mkdir(exist_ok=True)
    os.chmod(read_only_home, 0o555)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    env["HOME"] = extra.get("HOME", str(read_only_home))
    env["TMPDIR"] = str(tmpdir)
    return env


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize("where", ["NUMBA_CACHE_DIR", "home", "private tempdir"])
def test_read_only_install_works_and_caches(where, read_only_site, tmp_path, expected):
    extra = {}
    if where == "NUMBA_CACHE_DIR":
        cache_root = tmp_path / "numba-cache"
        extra["NUMBA_CACHE_DIR"] = str(cache_root)
    elif where == "home":
        home = tmp_path / "home"
        home.mkdir()
        extra["HOME"] = str(home)
        cache_root = home / ".cache" / "numba"
    else:
        # neither the package dir nor the home is writable: Numba alone
        # raises "no locator available"; adaopt falls back to a private dir
        cache_root = tmp_path / "tmp" / f"adaopt-numba-cache-{os.getuid()}"
    env = site_env(read_only_site, tmp_path, **extra)
    before = files_under(read_only_site)

    first, results = run_work(tmp_path, env, "first", minimize=where == "home",
                              cwd=tmp_path, unprivileged=True)
    assert first["file"] == str(read_only_site / "adaopt" / "__init__.py")
    assert_same(results, expected)
    assert first["misses"] > 0 and first["hits"] == 0
    assert first["cache_path"].startswith(str(cache_root))

    second, results = run_work(tmp_path, env, "second", minimize=where == "home",
                               cwd=tmp_path, unprivileged=True)
    assert_same(results, expected)
    # the two kernels called from Python load from the cache; minimize's
    # driver, which holds its own copy of a kernel, loads without a miss
    assert second["hits"] == 2 and second["misses"] == 0
    assert files_under(read_only_site) == before
    if where == "private tempdir":
        assert stat.S_IMODE(os.stat(cache_root).st_mode) == 0o700


def test_read_only_install_refuses_a_shared_cache_dir(read_only_site, tmp_path, expected):
    # Cache files are unpickled when loaded: a fallback directory that
    # someone else could write into is not used; the kernels run uncached.
    env = site_env(read_only_site, tmp_path)
    planted = tmp_path / "tmp" / f"adaopt-numba-cache-{os.getuid()}"
    planted.mkdir(parents=True)
    os.chmod(planted, 0o777)
    report, results = run_work(tmp_path, env, "uncached", minimize=False, cwd=tmp_path,
                               unprivileged=True)
    assert_same(results, expected)
    assert report["cache_path"] is None
    assert report["hits"] == 0
    assert list(planted.iterdir()) == []


# -- broken caches ------------------------------------------------------------


@pytest.fixture(scope="module")
def warm_site(tmp_path_factory):
    """A copy of the package and a NUMBA_CACHE_DIR filled by one child run."""
    root = tmp_path_factory.mktemp("warm")
    site, cache = root / "site", root / "cache"
    shutil.copytree(ROOT / "adaopt", site / "adaopt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    run_work(root, warm_env(site, cache), "fill", cwd=root)
    assert any(cache.rglob("*.nbi")) and any(cache.rglob("*.nbc"))
    return site, cache


def warm_env(site, cache):
    env = child_env(NUMBA_CACHE_DIR=cache)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "tests")])
    return env


def garbage(path):
    path.write_bytes(os.urandom(64) if path.suffix == ".nbi" else b"garbage\n")


def truncate(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [garbage, truncate], ids=lambda f: f.__name__)
def test_broken_cache_files_are_a_miss(damage, warm_site, tmp_path, expected):
    site, warm = warm_site
    cache = tmp_path / "cache"
    shutil.copytree(warm, cache)
    for path in cache.rglob("*"):
        if path.suffix in (".nbi", ".nbc"):
            damage(path)
    env = warm_env(site, cache)
    # importing adaopt loads no kernel, so it cannot be broken by the cache
    run_child("import adaopt", env=env, cwd=tmp_path)
    report, results = run_work(tmp_path, env, "damaged", cwd=tmp_path)
    assert_same(results, expected)
    assert report["hits"] == 0
    # and the cache heals: the next process loads everything again
    report, results = run_work(tmp_path, env, "healed", cwd=tmp_path)
    assert_same(results, expected)
    assert report["misses"] == 0 and report["hits"] == 2


def test_stale_cache_from_other_source_recompiles(warm_site, tmp_path, expected):
    # An upgrade in place that changes kernels.py only: every entry is
    # recompiled, the minimize driver's too (it holds a copy of the kernel,
    # and its own source did not change).
    site, warm = warm_site
    cache = tmp_path / "cache"
    shutil.copytree(warm, cache)
    kernels_py = site / "adaopt" / "kernels.py"
    source = kernels_py.read_text()
    kernels_py.write_text(source + "\n# upgraded\n")
    try:
        report, results = run_work(tmp_path, warm_env(site, cache), "new", cwd=tmp_path)
    finally:
        kernels_py.write_text(source)
    assert_same(results, expected)
    # 2 kernels called from Python + minimize's iteration, which holds a
    # copy of the kernel (for the run's float64 only: no float32 is compiled)
    assert report["hits"] == 0 and report["misses"] == 3


# -- one cache shared by several processes -----------------------------------

SHARED = """
    import json
    from reliability_tools import N_PARALLEL, minimize_trajectory, trajectory
    out = []
    for spec in @SPECS@:
        kind, seed, n = spec.split(":")
        f = trajectory if kind == "step" else minimize_trajectory
        out.append(f(int(seed), 5, n=int(n) if n else N_PARALLEL).tolist())
    print(json.dumps(out))
"""


def test_processes_sharing_a_cache_keep_flavours_apart(tmp_path):
    """Regression: two numba 0.68.1 cache bugs, both met through minimize.

    * Kernel flavours compiled in different processes got the same symbol;
      ``minimize``'s compiled driver, loading two from the cache, ran the
      wrong one (a plain run returned a centered run's numbers).
    * The driver compiled against a cached *parallel* kernel was cached
      without its threading-layer hook: the next process loading it died
      with "LLVM ERROR: Symbol not found: allocate_sched".
    """
    env = child_env(NUMBA_CACHE_DIR=tmp_path / "cache")
    runs = [["minimize:3:100", "step:0:"],      # centered f32 driver; parallel kernel
            ["minimize:0:100", "minimize:0:"],  # plain f64 driver; parallel driver
            ["minimize:0:100", "minimize:3:100", "minimize:0:"]]  # all from the cache
    for specs in runs:
        proc = run_child(SHARED.replace("@SPECS@", repr(specs)), env=env)
        for spec, values in zip(specs, last_json(proc)):
            kind, seed, n = spec.split(":")
            f = trajectory if kind == "step" else minimize_trajectory
            want = f(int(seed), 5, n=int(n) if n else N_PARALLEL)
            np.testing.assert_array_equal(np.asarray(values, dtype=want.dtype), want,
                                          err_msg=f"{spec} in run {specs}")
