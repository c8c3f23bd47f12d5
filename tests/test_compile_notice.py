"""A first use that compiles says so, once, on stderr.

Run in child processes with their own empty Numba cache directory: the
first one compiles RMSprop's step kernel and must announce it in one line;
the second loads it from that cache and must say nothing; a user's own
Numba function compiling is never announced; ``ADAOPT_COMPILE_NOTICE=0``
silences the line.
"""

from reliability_tools import child_env, run_child

STEP_TWICE_AND_A_USER_FUNCTION = """
    import numba, numpy as np, adaopt
    x = np.ones(10)
    opt = adaopt.RMSprop(x, lr=0.1)
    opt.step(np.ones(10)); opt.step(np.ones(10))
    y = np.ones(7, np.float32)
    adaopt.RMSprop(y, lr=0.1).step(np.ones(7, np.float32))   # another signature
    numba.njit(lambda a: a + 1)(1.0)                          # the user's own
    print(x[0])
"""


def notices(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("adaopt:")]


def test_first_compile_is_announced_once_and_a_cache_hit_never(tmp_path):
    env = child_env(NUMBA_CACHE_DIR=tmp_path / "cache")
    cold = run_child(STEP_TWICE_AND_A_USER_FUNCTION, env=env)
    (line,) = notices(cold)
    assert line == ("adaopt: compiling the RMSprop step kernel (first use, a few "
                    "seconds; it is cached on disk, so later runs skip this)")
    warm = run_child(STEP_TWICE_AND_A_USER_FUNCTION, env=env)
    assert notices(warm) == []
    assert warm.stdout == cold.stdout


def test_the_notice_can_be_silenced(tmp_path):
    env = child_env(NUMBA_CACHE_DIR=tmp_path / "cache", ADAOPT_COMPILE_NOTICE="0")
    assert notices(run_child(STEP_TWICE_AND_A_USER_FUNCTION, env=env)) == []
