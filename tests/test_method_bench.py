"""``python -m adaopt bench --method NAME``: its probe moves each method's
bytes and its table times every contender.  Speed itself is never asserted
here (the benchmark shows it)."""

import io
import re

import numba
import numpy as np
import pytest

import adaopt
from adaopt import kernels, method_bench
from adaopt._optimizers import OPTIMIZERS
from adaopt._problem import METHODS
from adaopt.__main__ import main as cli_main


def test_each_methods_probe_streams_its_state_arrays():
    # PyTorch's state per method: Adam's m and v, Adagrad's sum, plain SGD none
    want = {"rmsprop": 1, "adam": 2, "adamw": 2, "adagrad": 1, "sgd": 0, "adamax": 2,
            "adadelta": 2, "radam": 2, "nadam": 2}
    assert {name: method_bench.state_rows(name) for name in METHODS} == want
    for name, rows in want.items():
        x = OPTIMIZERS[name](np.ones(4))
        assert len(x.state) == rows, name


@pytest.mark.parametrize("rows", [0, 2])
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_probe_reads_and_writes_every_row(rows, parallel):
    rng = np.random.default_rng(rows)
    x, g = rng.standard_normal(1000), rng.standard_normal(1000)
    S = rng.standard_normal((rows, 1000))
    want_x, want_S = x - 0.25 * g, S + g
    method_bench.method_probe(rows, parallel)(x, g, S, np.array([0.25]))
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(S, want_S)


@pytest.mark.parametrize("sqrts, divs, parallel", [(0, 1, False), (2, 1, False),
                                                   (1, 1, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divider_probe_computes_its_chain(sqrts, divs, parallel, dtype):
    rng = np.random.default_rng(sqrts)
    x, g = rng.standard_normal(1000).astype(dtype), rng.standard_normal(1000).astype(dtype)
    a = np.array([0.25], dtype)
    xg = np.abs(g) + a[0]
    y = xg.copy()
    for _ in range(sqrts):
        y = np.sqrt(y + xg)
    for _ in range(divs):
        y = xg / y
    want = x - a[0] * y
    assert want.dtype == dtype
    method_bench.divider_probe(sqrts, divs, parallel)(x, g, a)
    np.testing.assert_array_equal(x, want)


def _plain_loop_ir(name):
    """The optimized LLVM IR of method ``name``'s serial unmasked loop at its
    defaults, compiled afresh (code loaded from the disk cache has none)."""
    method = METHODS[name]
    cfg = method.settings(method.check({}))
    flavour = method.flavour(cfg)
    loop = kernels.unmasked_loop(method.kernel(flavour, False, method.kernel_bodies(cfg)))
    fresh = numba.njit(loop.py_func, nogil=True, error_model="numpy")
    hp = np.empty(method.hp_size)
    method.fixed_scalars(hp, cfg)
    fresh(np.ones(8), np.ones(8), np.ones((sum(flavour), 8)), hp)
    return fresh.inspect_llvm(fresh.signatures[0])


def _vector_ops(block):
    """``(square roots, divisions)`` on vectors in one basic block of LLVM IR."""
    return (len(re.findall(r"call <\d+ x \w+> @llvm\.sqrt\.", block)),
            len(re.findall(r"= fdiv <\d+ x ", block)))


@pytest.mark.parametrize("name", list(METHODS))
def test_divider_ops_are_the_plain_steps_roots_and_divisions(name):
    # the divider probe is only a limit if it has the step's square roots and
    # divisions: count them in the vectorized body of the step's compiled
    # loop, the basic block with the most of them (LLVM may unroll it, which
    # keeps the proportion, and version it on a loop-invariant test: RAdam's
    # unrectified steps divide by one and take no root)
    blocks = re.split(r"\n(?=[\w.\-]+:)", _plain_loop_ir(name))
    sqrts, divs = max((_vector_ops(b) for b in blocks), key=sum)
    want_sqrts, want_divs = method_bench.DIVIDER_OPS[name]
    assert (sqrts > 0, divs > 0) == (want_sqrts > 0, want_divs > 0), (sqrts, divs)
    assert sqrts * want_divs == divs * want_sqrts, (sqrts, divs)


#: Every method's serial loop; the parallel build of two (``unmasked_loop``
#: derives it by the same code for every method, and each parallel build
#: costs 10-15 s of cold compile; every method's parallel masked loop is held
#: to its reference in tests/test_<method>.py).
UNMASKED_CASES = ([pytest.param(name, 300, id=f"{name}-serial") for name in METHODS]
                  + [pytest.param(name, kernels.PARALLEL_THRESHOLD + 5, id=f"{name}-parallel")
                     for name in ("rmsprop", "adam")])


@pytest.mark.parametrize("name, n", UNMASKED_CASES)
def test_the_unmasked_loop_is_the_step_without_its_mask(name, n):
    # the benchmark's reference computes the step's bits on finite data and
    # writes (and does not report) what the mask would have kept
    method = METHODS[name]
    cfg = method.settings(method.check({}))
    flavour = method.flavour(cfg)
    hp = np.empty(method.hp_size)
    method.fixed_scalars(hp, cfg)
    masked = method.kernel(flavour, kernels.use_parallel(n), method.kernel_bodies(cfg))
    unmasked = kernels.unmasked_loop(masked)
    assert unmasked is not masked and kernels.unmasked_loop(masked) is unmasked
    rng = np.random.default_rng(n)
    x, g = rng.standard_normal(n), rng.standard_normal(n)
    S = np.abs(rng.standard_normal((len(method.state_rows(flavour)), n)))
    g[7] = np.nan
    got = [x.copy(), S.copy()], [x.copy(), S.copy()]
    assert masked(got[0][0], g, got[0][1], hp)
    assert not unmasked(got[1][0], g, got[1][1], hp)
    assert got[0][0][7] == x[7] and np.isnan(got[1][0][7])
    keep = np.arange(n) != 7
    np.testing.assert_array_equal(got[0][0][keep], got[1][0][keep])
    np.testing.assert_array_equal(got[0][1][:, keep], got[1][1][:, keep])


def test_method_table_times_every_contender():
    out = io.StringIO()
    rows = method_bench.method_table("nadam", sizes=(300,), dtypes=(np.float32,),
                                     seconds=0.01, others=False, out=out)
    (row,) = rows
    assert (row["method"], row["n"], row["dtype"], row["parallel"], row["streams"]) == \
        ("nadam", 300, "float32", False, 7)
    assert row["adaopt"] > 0 and row["probe"] > 0 and row["unmasked"] > 0
    assert row["divider"] > 0           # NAdam's step has a root and a division
    assert row["spread"] >= 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:5] == ["method", "dtype", "n", "path", "step"]
    assert lines[1].split()[:4] == ["nadam", "float32", "300", "serial"]
    with pytest.raises(ValueError, match="method must be one of"):
        method_bench.method_table("lion", sizes=(300,))


def test_cli_refuses_an_unknown_method(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "--method", "lion"])
    assert exc.value.code == 2
    assert "--method must be one of rmsprop, adam" in capsys.readouterr().err
