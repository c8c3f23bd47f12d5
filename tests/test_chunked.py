"""adaopt.chunked_objective: an objective summed over a Dask array's row blocks,
computed on a real cluster, against the same sums in memory.

Nothing is mocked: one ``LocalCluster`` of two worker processes (one thread
and one Numba thread each) serves the whole module, as in
tests/test_scaling.py.  The data are small (1000 rows in 7 blocks, the last
one shorter) so that every call is a few milliseconds of scheduler work.
The block functions defined here travel to the workers by value
(``cloudpickle.register_pickle_by_value``): the workers cannot import this
test module.
"""

import importlib.util
import math
import re
import subprocess
import sys
import threading
from pathlib import Path

import cloudpickle
import dask.array as da
import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

import adaopt
from adaopt import status
from adaopt.jitted_problems import logistic_block

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parent.parent

N, D, ROWS = 1000, 3, 150          # blocks of 150 rows: 6 of them and one of 100
EPS = np.finfo(np.float64).eps
#: Gradient descent on the mean log-loss: the step is below 2 / L (L <= 1/4
#: times the largest eigenvalue of X^T X / N, 1.2 here), so it converges
#: linearly, to gtol in 53 iterations.
# gradient descent with a fixed step below 1/L (a constant rate: lr_schedule=None)
# plain gradient descent: a constant rate and no momentum (minimize's policy off)
GD = dict(method="sgd", options=dict(lr=6.0, gtol=1e-9, maxiter=200, lr_schedule=None,
                                     momentum=0.0))


def make_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = (rng.random(N) < 1 / (1 + np.exp(-X @ np.array([1.0, -2.0, 0.5])))).astype(float)
    return X, y


X_NP, Y_NP = make_data()
W = np.array([0.3, -0.7, 0.2])


def numpy_block(w, X, y):
    """The log-loss of the rows, in NumPy (a plain Python block function)."""
    z = X @ w
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), X.T @ (1 / (1 + np.exp(-z)) - y)


def abs_terms(w, X, y):
    """The sums of the absolute values of the terms of f and of each g_j."""
    z = X @ w
    r = 1 / (1 + np.exp(-z)) - y
    return np.sum(np.abs(np.logaddexp(0.0, z) - y * z)), np.abs(X * r[:, None]).sum(0)


def sum_tolerance(w, X, y):
    """A bound on the difference of two orders of summation of the same terms.

    Recursive summation of m terms in any order is within
    gamma_{m-1} * sum |t_i| of the exact sum (Higham, Accuracy and
    Stability, 4.2); the tree sums blocks summed in their own order, still
    at most m - 1 additions per result.  Two orders: twice that, with
    gamma_m = m u / (1 - m u), u = eps / 2.  The terms' own rounding is the
    same in both (the same block function on the same rows) up to BLAS's
    order inside X @ w, bounded the same way.  Hence 2 (m eps) sum |t|.
    """
    f_abs, g_abs = abs_terms(w, X, y)
    return 2 * N * EPS * f_abs, 2 * N * EPS * g_abs


def mean_in_memory(w):
    f, g = numpy_block(w, X_NP, Y_NP)
    return f / N, g / N


@pytest.fixture(scope="module")
def optimum():
    """The minimum of the mean log-loss, by scipy's L-BFGS-B in memory, to 1e-12."""
    return scipy_minimize(mean_in_memory, np.zeros(D), jac=True, method="L-BFGS-B",
                          options=dict(gtol=1e-12, ftol=0.0)).x


@pytest.fixture(scope="module")
def arrays(client):
    return da.from_array(X_NP, chunks=(ROWS, D)), da.from_array(Y_NP, chunks=ROWS)


@pytest.fixture(scope="module")
def loss(client, arrays):
    return adaopt.chunked_objective(logistic_block, *arrays, client=client)


def test_the_blocks_are_the_arrays_row_chunks(loss):
    assert loss.nblocks == 7 and loss.nrows == N
    assert loss.block_rows == (150,) * 6 + (100,)
    assert repr(loss) == ("ChunkedObjective(logistic_block, nblocks=7, nrows=1000, "
                          "scale='sum')")


@pytest.mark.parametrize("block_fun", [logistic_block, numpy_block],
                         ids=["jitted", "numpy"])
@pytest.mark.parametrize("split_every", [2, 4, 7])
def test_f_and_g_are_the_in_memory_sums(client, arrays, block_fun, split_every):
    fun = adaopt.chunked_objective(block_fun, *arrays, client=client,
                                   split_every=split_every)
    f, g = fun(W)
    f_ref, g_ref = numpy_block(W, X_NP, Y_NP)
    f_tol, g_tol = sum_tolerance(W, X_NP, Y_NP)
    assert isinstance(f, float) and g.dtype == np.float64 and g.shape == (D,)
    assert abs(f - f_ref) <= f_tol, (f - f_ref, f_tol)
    assert np.all(np.abs(g - g_ref) <= g_tol), (g - g_ref, g_tol)
    # the tree is fixed: the same w gives the same bits at every call
    f2, g2 = fun(W)
    assert f2 == f and np.array_equal(g2, g)


def test_the_tolerance_is_tight_enough_to_catch_a_lost_block(loss):
    """Dropping the 100-row block changes f by far more than the tolerance."""
    f, _ = loss(W)
    f_tol, _ = sum_tolerance(W, X_NP, Y_NP)
    f_without, _ = numpy_block(W, X_NP[:900], Y_NP[:900])
    assert abs(f - f_without) > 1e6 * f_tol


def test_scale_mean_divides_by_the_rows(client, arrays, loss):
    mean = adaopt.chunked_objective(logistic_block, *arrays, client=client, scale="mean")
    f, g = loss(W)
    fm, gm = mean(W)
    # one division of the tree's sums: the same bits as dividing them here
    assert fm == f / N and np.array_equal(gm, g / N)


def test_float32_w_gives_float32_g(loss):
    w32 = W.astype(np.float32)
    f, g = loss(w32)
    assert g.dtype == np.float32 and isinstance(f, float)
    f_ref, g_ref = numpy_block(w32.astype(np.float64), X_NP, Y_NP)
    f_tol, g_tol = sum_tolerance(w32.astype(np.float64), X_NP, Y_NP)
    # logistic_block sums f in float64 but g in w's dtype, over its block's
    # rows: the bound of sum_tolerance with float32's eps for g
    assert abs(f - f_ref) <= f_tol
    assert np.all(np.abs(g - g_ref) <= g_tol * np.finfo(np.float32).eps / EPS)
    _, gb = loss.minibatch(w32, [0, 6])
    assert gb.dtype == np.float32


def test_minimize_reaches_the_in_memory_optimum(client, arrays, optimum):
    """The same iteration on the chunked and the in-memory mean objective: the
    same iterates up to the sums' rounding, and the optimum scipy's L-BFGS-B
    finds to 1e-12."""
    fun = adaopt.chunked_objective(logistic_block, *arrays, client=client, scale="mean")
    res = adaopt.minimize(fun, np.zeros(D), jac=True, **GD)
    ref = adaopt.minimize(mean_in_memory, np.zeros(D), jac=True, **GD)
    assert res.status == ref.status == status.GTOL
    assert res.nit == ref.nit == 53
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-12)
    # |g|_inf <= gtol = 1e-9 and the Hessian's smallest eigenvalue 0.045 at
    # the optimum: |x - x*| <= sqrt(3) 1e-9 / 0.045, about 4e-8
    np.testing.assert_allclose(res.x, optimum, rtol=0, atol=4e-8)


def test_a_minibatch_is_its_blocks_scaled_to_all_rows(client, arrays, loss):
    mean = adaopt.chunked_objective(logistic_block, *arrays, client=client, scale="mean")
    for blocks in ([2], [6], [0, 6], [3, 3]):
        Xb = np.concatenate([X_NP[b * ROWS:(b + 1) * ROWS] for b in blocks])
        yb = np.concatenate([Y_NP[b * ROWS:(b + 1) * ROWS] for b in blocks])
        f_ref, g_ref = numpy_block(W, Xb, yb)
        f_tol, g_tol = sum_tolerance(W, Xb, yb)
        f, g = loss.minibatch(W, blocks)
        scale = N / len(yb)
        assert abs(f - scale * f_ref) <= scale * f_tol
        assert np.all(np.abs(g - scale * g_ref) <= scale * g_tol)
        fm, gm = mean.minibatch(W, blocks)
        assert abs(fm - f_ref / len(yb)) <= f_tol / len(yb)
        # g * (N / n_S) / N against g / n_S: two roundings apart at most
        np.testing.assert_allclose(gm, g / N, rtol=2 * EPS)
    # every block once is the whole objective, bit for bit (the same tree)
    f, g = loss.minibatch(W, range(7))
    assert (f, g.tolist()) == (loss(W)[0], loss(W)[1].tolist())
    assert loss.minibatch(W, np.int64(2))[0] == loss.minibatch(W, [2])[0]


def test_adam_on_random_blocks_approaches_the_optimum(client, arrays, optimum):
    """The guide's loop: one random block per step, Adam with a decaying rate."""
    mean = adaopt.chunked_objective(logistic_block, *arrays, client=client, scale="mean")
    w = np.zeros(D)
    steps = 60
    opt = adaopt.Adam(w, lr_schedule=adaopt.schedules.cosine_decay(0.1, steps))
    rng = np.random.default_rng(1)
    for block in rng.integers(mean.nblocks, size=steps):
        f, g = mean.minibatch(w, block)
        opt.step(g)
    # 60 steps of 150 rows: within 0.03..0.11 of the optimum over 20 seeds
    # (|optimum| is 2); 0.2 is the bound, far below the 2 of w = 0
    assert np.abs(w - optimum).max() < 0.2, (w, optimum)
    assert mean(w)[0] - mean_in_memory(optimum)[0] < 0.01


# -- errors ------------------------------------------------------------------------


def fails_in_block_3(w, X, y):
    """The log-loss, but block 3 (rows 450..599) raises once w[0] > 0.95
    (the 4th iterate of GD: 0, 0.884, 0.918, 0.957)."""
    if w[0] > 0.95 and X.shape[0] == ROWS and np.array_equal(X[0], X_NP[3 * ROWS]):
        raise ArithmeticError(f"block 3 at w[0] = {w[0]:.3f}")
    return numpy_block(w, X, y)


def test_a_failing_block_raises_in_the_caller_and_minimize_keeps_the_work(client,
                                                                            arrays):
    fun = adaopt.chunked_objective(fails_in_block_3, *arrays, client=client,
                                   scale="mean")
    with pytest.raises(ArithmeticError, match=r"block 3 at w\[0\] = 0\.957") as info:
        adaopt.minimize(fun, np.zeros(D), jac=True, **GD)
    part = info.value.adaopt_result
    assert part.status == status.EXCEPTION and part.nit == 2
    assert part.x[0] == pytest.approx(0.918, abs=1e-3)   # the last point evaluated
    # the cluster is fine afterwards
    assert fun(np.zeros(D))[0] == pytest.approx(math.log(2))


def wrong_shape(w, X, y):
    return 0.0, np.zeros(len(w) + 1)


def not_a_pair(w, X, y):
    return 0.0


def complex_value(w, X, y):
    return 1j, np.zeros_like(w)


@pytest.mark.parametrize("block_fun, match", [
    (wrong_shape, r"g as a real array of w's shape \(3,\), got dtype float64 and "
                  r"shape \(4,\) at block \d"),
    (not_a_pair, "block_fun must return a pair"),
    (complex_value, r"block_fun at block \d: the objective function must return a real"),
])
def test_a_bad_block_result_is_a_value_error_naming_block_fun(client, arrays,
                                                             block_fun, match):
    fun = adaopt.chunked_objective(block_fun, *arrays, client=client)
    with pytest.raises(ValueError, match=match):
        fun(W)


def test_bad_arrays_raise_naming_the_argument(client, arrays):
    X, y = arrays

    def make(*arrs):
        return adaopt.chunked_objective(logistic_block, *arrs, client=client)

    with pytest.raises(TypeError, match=r"arrays\[1\] must be a dask.array.Array "
                                        r".*got ndarray"):
        make(X, Y_NP)
    with pytest.raises(ValueError, match=r"arrays\[0\] is chunked along axis 1 \(2 "
                                         r"chunks\).*arrays\[0\]\.rechunk\(\{1: -1\}\)"):
        make(X.rechunk((ROWS, 2)), y)
    with pytest.raises(ValueError, match=r"arrays\[1\] has row chunks \(500, 500\), "
                                         r"arrays\[0\] has \(150, 150"):
        make(X, y.rechunk(500))
    with pytest.raises(ValueError, match=r"arrays\[0\] has unknown chunk sizes"):
        make(X[X[:, 0] > 0], y)
    with pytest.raises(ValueError, match=r"arrays\[0\] must have at least one axis"):
        make(da.from_array(np.float64(1.0)), y)
    with pytest.raises(ValueError, match=r"arrays\[0\] has no rows"):
        make(da.zeros((0, 3), chunks=(1, 3)), da.zeros(0, chunks=1))
    with pytest.raises(ValueError, match="at least one dask array"):
        make()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(block_fun=None), TypeError, "block_fun must be callable"),
    (dict(scale="median"), ValueError, "scale must be one of 'sum', 'mean'"),
    (dict(split_every=1), ValueError, "split_every must be >= 2"),
    (dict(split_every=True), TypeError, "split_every must be an int"),
    (dict(split_every=2.0), TypeError, "split_every must be an int"),
    (dict(client="tcp://127.0.0.1:1"), TypeError, "client must be a distributed.Client"),
])
def test_bad_arguments_raise_naming_them(client, arrays, kwargs, error, match):
    call = dict(block_fun=logistic_block, client=client) | kwargs
    with pytest.raises(error, match=match):
        adaopt.chunked_objective(call.pop("block_fun"), *arrays, **call)


def test_an_unpicklable_block_fun_is_a_type_error_before_any_work(client, arrays):
    lock = threading.Lock()

    def locked(w, X, y):
        with lock:
            return numpy_block(w, X, y)

    with pytest.raises(TypeError, match="block_fun must be picklable"):
        adaopt.chunked_objective(locked, *arrays, client=client)


@pytest.mark.parametrize("w, error, match", [
    ([0.0, 0.0, 0.0], TypeError, "w must be a float32 or float64 numpy.ndarray, got list"),
    (np.zeros(3, dtype=int), TypeError, "w must be a float32 or float64.*got int64"),
    (np.zeros((1, 3)), ValueError, r"w must be 1-D, got shape \(1, 3\)"),
])
def test_a_bad_w_raises_naming_it(loss, w, error, match):
    with pytest.raises(error, match=match):
        loss(w)


@pytest.mark.parametrize("blocks, error, match", [
    ([], ValueError, "at least one block"),
    ([7], ValueError, r"blocks must be in \[0, 7\), got 7"),
    (-1, ValueError, r"blocks must be in \[0, 7\), got -1"),
    ([1.0], TypeError, "blocks must hold ints, got 1.0"),
    (True, TypeError, "blocks must be an int or a sequence of ints"),
    (None, TypeError, "blocks must be an int or a sequence of ints"),
])
def test_bad_blocks_raise_naming_them(loss, blocks, error, match):
    with pytest.raises(error, match=match):
        loss.minibatch(W, blocks)


def test_adaopt_imports_dask_only_when_the_helper_is_called():
    code = ("import sys, adaopt\n"
            "adaopt.chunked_objective\n"
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))\n"
            "import numpy as np, dask.array as da\n"
            "try:\n"
            "    adaopt.chunked_objective(print, da.zeros((4, 2), chunks=(2, 2)))\n"
            "except ValueError as err:\n"
            "    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "client: no dask.distributed.Client is running; start one or "
                         "pass client="]


# -- the guide's worked example ------------------------------------------------------

GUIDE = ROOT / "docs" / "guide" / "scaling.rst"
EXAMPLE = ROOT / "docs" / "guide" / "chunked_logistic.py"


def quoted_output():
    """The lines docs/guide/scaling.rst quotes as the example's output."""
    section = GUIDE.read_text().split("\nObjectives over chunked data\n")[1]
    after = section.split("``python docs/guide/chunked_logistic.py`` prints")[1]
    block = after.split("::\n\n", 1)[1].split("\n\n")[0]
    return [line[4:] for line in block.splitlines()]


def same_numbers(got, quoted):
    """``got`` reads as ``quoted``: the same words; integers equal; the printed
    magnitudes (one digit: ``2e-08``) within a factor 3, the other decimals
    to the last digit printed."""
    number = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"
    if re.sub(number, "#", got) != re.sub(number, "#", quoted):
        return False
    for a, b in zip(re.findall(number, got), re.findall(number, quoted)):
        if "e" in b:
            if not 1 / 3 <= float(a) / float(b) <= 3:
                return False
        elif "." in b:
            if abs(float(a) - float(b)) > 1.5 * 10.0 ** -len(b.split(".")[1]):
                return False
        elif a != b:
            return False
    return True


def test_the_guides_example_prints_what_the_guide_quotes(client, capsys):
    spec = importlib.util.spec_from_file_location("chunked_logistic", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    res, w_adam, model = example.main(client)
    got = capsys.readouterr().out.splitlines()
    quoted = quoted_output()
    assert len(got) == len(quoted) and all(map(same_numbers, got, quoted)), \
        "\n".join(got)
    # and the claims behind the numbers
    assert res.status == status.GTOL
    assert np.abs(res.x - model.coef_).max() < 1e-6
    assert np.abs(w_adam - model.coef_).max() < 0.05
