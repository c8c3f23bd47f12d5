"""Point 10 of issue 3: the built-in test problems and their known minima."""

import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose

from adaopt.problems import IllConditionedQuadratic, LogisticRegression, Rosenbrock


@pytest.mark.parametrize("n", [2, 5])
def test_rosenbrock_is_scipys(n):
    p = Rosenbrock(n)
    rng = np.random.default_rng(0)
    for x in [p.x0, rng.standard_normal(n)]:
        assert p.fun(x) == pytest.approx(scipy.optimize.rosen(x), rel=1e-14)
        assert_allclose(p.jac(x), scipy.optimize.rosen_der(x), rtol=1e-13)
    assert p.fun(p.x_min) == p.f_min == 0.0
    assert not p.jac(p.x_min).any()


def test_quadratic_minimum_and_conditioning():
    p = IllConditionedQuadratic(n=6, cond=1e4)
    assert p.d.max() / p.d.min() == pytest.approx(1e4)
    assert p.fun(p.x_min) == p.f_min == 0.0
    assert not p.jac(p.x_min).any()
    x = np.linspace(-1, 1, 6)
    assert scipy.optimize.check_grad(p.fun, p.jac, x) < 1e-4 * np.linalg.norm(p.jac(x))
    f, g = p.fun_and_jac(x)
    assert f == p.fun(x) and np.array_equal(g, p.jac(x))


def test_logistic_regression():
    p = LogisticRegression(n_samples=500, n_features=4, batch_size=16, seed=3)
    w = np.array([0.3, -0.2, 0.1, 0.5])
    assert scipy.optimize.check_grad(p.fun, p.full_jac, w) < 1e-6
    # the minibatch gradient is an unbiased estimate of the full one
    mean = np.mean([p.jac(w) for _ in range(4000)], axis=0)
    assert_allclose(mean, p.full_jac(w), atol=0.01)
    assert np.linalg.norm(p.full_jac(p.x_min)) < 1e-8
    assert p.fun(p.x_min) == pytest.approx(p.f_min, abs=1e-14)
    assert p.f_min < p.fun(p.x0) == pytest.approx(np.log(2))
