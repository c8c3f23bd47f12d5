"""A first use that compiles says so, once, on stderr.

Run in child processes with their own empty Numba cache directory: the
first one compiles RMSprop's step kernel and must announce it in one line;
the second loads it from that cache and must say nothing; a user's own
Numba function compiling is never announced, nor the adaopt code compiled
inside it (``rmsprop_njit``'s parts); ``ADAOPT_COMPILE_NOTICE=0`` silences
the line.
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


def test_only_an_outermost_compilation_of_adaopt_code_is_announced():
    """In process, with a listener of its own: adaopt code compiled inside a
    user's function (as rmsprop_njit's parts are) is not announced; adaopt
    code compiled on its own is, once."""
    import io

    import numba
    import numpy as np
    from numba.core import event

    from adaopt import _compile_notice
    from adaopt.jitted_problems import rosenbrock_fg

    out = io.StringIO()
    listener = _compile_notice._FirstCompileNotice(lambda: out)
    event.register("numba:compile", listener)
    try:
        made = {}                       # exec() without __name__: __module__ None
        exec("def made_by_exec(x):\n    return x + 1.0\n", made)
        assert numba.njit(made["made_by_exec"])(1.0) == 2.0   # not adaopt's: silent
        inner = numba.njit(rosenbrock_fg.py_func)     # fresh, uncached: compiles

        @numba.njit
        def users(x):
            return inner(x)[0] + 1.0

        assert users(np.zeros(2)) == 2.0
        assert out.getvalue() == "" and not listener.said
        again = numba.njit(rosenbrock_fg.py_func)
        assert again(np.zeros(2))[0] == 1.0
        assert again(np.zeros(3))[0] == 2.0            # a second compilation: silent
    finally:
        event.unregister("numba:compile", listener)
    assert out.getvalue() == ("adaopt: compiling rosenbrock_fg (first use, a few "
                              "seconds; it cannot be cached on disk here, so each new "
                              "process compiles it)\n")
