r"""Unconstrained test problems of Moré, Garbow and Hillstrom (1981).

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained
optimization software", ACM Transactions on Mathematical Software 7(1),
17-41 (1981).  Each problem is a sum of squares

.. math::

    f(x) = \sum_{i=1}^m r_i(x)^2, \qquad \nabla f(x) = 2 J(x)^T r(x),

with the residuals :math:`r` and their Jacobian :math:`J` written out here
(no automatic differentiation), the paper's standard starting point and its
reported minimum value ``f_min`` (printed there to about six digits) and
``f_best``, that value to twelve digits (found by BFGS from the standard
start, polished to a gradient of 1e-9 or less; it agrees with ``f_min`` to
within one unit of the paper's sixth digit): a
test of convergence to ``1e-6 * max(1, |f*|)`` needs more digits than the
paper prints (``124.362`` is ``124.362182356``).  The problem numbers are
the paper's.  Where the paper's value is a local
minimum, or the problem has a lower one elsewhere, ``note`` says so.

>>> from adaopt.mgh import MGH_PROBLEMS
>>> p = MGH_PROBLEMS["beale"]
>>> p.number, p.n, p.fun(p.x_min), p.f_min
(5, 2, 0.0, 0.0)
"""

import math

import numpy as np

__all__ = ["MGHProblem", "MGH_PROBLEMS"]


class MGHProblem:
    """One problem of the set: ``fun``, ``jac``, ``fun_and_jac``, ``x0``, ``f_min``, ``f_best``.

    ``residuals(x)`` and ``jacobian(x)`` are the problem's :math:`r(x)` and
    :math:`J(x)`; ``x_min`` is a minimizer where the paper gives one (else
    None); ``note`` what the literature says beyond ``f_min``.
    """

    def __init__(self, number, name, x0, f_min, residuals, jacobian, x_min=None, note="",
                 f_best=None):
        self.number = number
        self.name = name
        self.x0 = np.array(x0, dtype=np.float64)
        self.n = self.x0.size
        self.f_min = float(f_min)
        self.f_best = self.f_min if f_best is None else float(f_best)
        self.x_min = None if x_min is None else np.array(x_min, dtype=np.float64)
        self.residuals = residuals
        self.jacobian = jacobian
        self.note = note

    def fun(self, x):
        r = self.residuals(np.asarray(x, dtype=np.float64))
        return float(r @ r)

    def jac(self, x):
        x = np.asarray(x, dtype=np.float64)
        return 2.0 * (self.jacobian(x).T @ self.residuals(x))

    def fun_and_jac(self, x):
        x = np.asarray(x, dtype=np.float64)
        r = self.residuals(x)
        return float(r @ r), 2.0 * (self.jacobian(x).T @ r)

    def __repr__(self):
        return f"<MGH problem {self.number} {self.name}, n={self.n}, f_min={self.f_min:g}>"


# -- the residuals and Jacobians, in the paper's order -------------------------

def _rosenbrock(x):
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def _rosenbrock_j(x):
    return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])


def _freudenstein_roth(x):
    return np.array([-13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1],
                     -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1]])


def _freudenstein_roth_j(x):
    y = x[1]
    return np.array([[1.0, 10.0 * y - 3.0 * y * y - 2.0],
                     [1.0, 3.0 * y * y + 2.0 * y - 14.0]])


# np.exp, not math.exp: far from the start exp(-x) overflows, and a solver
# must see f = inf (minimize's status 3), not an OverflowError from the problem
def _powell_badly_scaled(x):
    return np.array([1e4 * x[0] * x[1] - 1.0,
                     np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def _powell_badly_scaled_j(x):
    return np.array([[1e4 * x[1], 1e4 * x[0]],
                     [-np.exp(-x[0]), -np.exp(-x[1])]])


def _brown_badly_scaled(x):
    return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def _brown_badly_scaled_j(x):
    return np.array([[1.0, 0.0], [0.0, 1.0], [x[1], x[0]]])


_BEALE_Y = np.array([1.5, 2.25, 2.625])
_BEALE_I = np.arange(1, 4)


def _beale(x):
    return _BEALE_Y - x[0] * (1.0 - x[1] ** _BEALE_I)


def _beale_j(x):
    return np.column_stack([-(1.0 - x[1] ** _BEALE_I),
                            x[0] * _BEALE_I * x[1] ** (_BEALE_I - 1)])


_JS_I = np.arange(1, 11, dtype=np.float64)


def _jennrich_sampson(x):
    return 2.0 + 2.0 * _JS_I - (np.exp(_JS_I * x[0]) + np.exp(_JS_I * x[1]))


def _jennrich_sampson_j(x):
    return np.column_stack([-_JS_I * np.exp(_JS_I * x[0]), -_JS_I * np.exp(_JS_I * x[1])])


def _theta(x0, x1):
    t = math.atan(x1 / x0) / (2.0 * math.pi) if x0 != 0.0 else 0.25
    return t + 0.5 if x0 < 0.0 else t


def _helical_valley(x):
    return np.array([10.0 * (x[2] - 10.0 * _theta(x[0], x[1])),
                     10.0 * (math.hypot(x[0], x[1]) - 1.0), x[2]])


def _helical_valley_j(x):
    rr = x[0] ** 2 + x[1] ** 2
    r = math.sqrt(rr)
    # d theta / dx = (-x1, x0) / (2 pi r^2)
    c = 100.0 / (2.0 * math.pi * rr)
    return np.array([[c * x[1], -c * x[0], 10.0],
                     [10.0 * x[0] / r, 10.0 * x[1] / r, 0.0],
                     [0.0, 0.0, 1.0]])


_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58,
                    0.73, 0.96, 1.34, 2.10, 4.39])
_BARD_U = np.arange(1, 16, dtype=np.float64)
_BARD_V = 16.0 - _BARD_U
_BARD_W = np.minimum(_BARD_U, _BARD_V)


def _bard(x):
    return _BARD_Y - (x[0] + _BARD_U / (_BARD_V * x[1] + _BARD_W * x[2]))


def _bard_j(x):
    d = (_BARD_V * x[1] + _BARD_W * x[2]) ** 2
    return np.column_stack([-np.ones(15), _BARD_U * _BARD_V / d, _BARD_U * _BARD_W / d])


_GAUSS_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                     0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])
_GAUSS_T = (8.0 - np.arange(1, 16)) / 2.0


def _gaussian(x):
    return x[0] * np.exp(-x[1] * (_GAUSS_T - x[2]) ** 2 / 2.0) - _GAUSS_Y


def _gaussian_j(x):
    d = _GAUSS_T - x[2]
    e = np.exp(-x[1] * d * d / 2.0)
    return np.column_stack([e, -x[0] * e * d * d / 2.0, x[0] * e * x[1] * d])


_MEYER_Y = np.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0,
                     9744.0, 8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0,
                     2872.0])
_MEYER_T = 45.0 + 5.0 * np.arange(1, 17)


def _meyer(x):
    return x[0] * np.exp(x[1] / (_MEYER_T + x[2])) - _MEYER_Y


def _meyer_j(x):
    s = _MEYER_T + x[2]
    e = np.exp(x[1] / s)
    return np.column_stack([e, x[0] * e / s, -x[0] * e * x[1] / s ** 2])


_BOX_T = 0.1 * np.arange(1, 11)


def _box3d(x):
    return (np.exp(-_BOX_T * x[0]) - np.exp(-_BOX_T * x[1])
            - x[2] * (np.exp(-_BOX_T) - np.exp(-10.0 * _BOX_T)))


def _box3d_j(x):
    return np.column_stack([-_BOX_T * np.exp(-_BOX_T * x[0]), _BOX_T * np.exp(-_BOX_T * x[1]),
                            -(np.exp(-_BOX_T) - np.exp(-10.0 * _BOX_T))])


_S5, _S10 = math.sqrt(5.0), math.sqrt(10.0)


def _powell_singular(x):
    return np.array([x[0] + 10.0 * x[1], _S5 * (x[2] - x[3]), (x[1] - 2.0 * x[2]) ** 2,
                     _S10 * (x[0] - x[3]) ** 2])


def _powell_singular_j(x):
    a, b = x[1] - 2.0 * x[2], x[0] - x[3]
    return np.array([[1.0, 10.0, 0.0, 0.0], [0.0, 0.0, _S5, -_S5],
                     [0.0, 2.0 * a, -4.0 * a, 0.0], [2.0 * _S10 * b, 0.0, 0.0, -2.0 * _S10 * b]])


_S90 = math.sqrt(90.0)


def _wood(x):
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0], _S90 * (x[3] - x[2] ** 2),
                     1.0 - x[2], _S10 * (x[1] + x[3] - 2.0), (x[1] - x[3]) / _S10])


def _wood_j(x):
    return np.array([[-20.0 * x[0], 10.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0],
                     [0.0, 0.0, -2.0 * _S90 * x[2], _S90], [0.0, 0.0, -1.0, 0.0],
                     [0.0, _S10, 0.0, _S10], [0.0, 1.0 / _S10, 0.0, -1.0 / _S10]])


_KO_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342,
                  0.0323, 0.0235, 0.0246])
_KO_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def _kowalik_osborne(x):
    u = _KO_U
    return _KO_Y - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])


def _kowalik_osborne_j(x):
    u = _KO_U
    num = u * u + u * x[1]
    den = u * u + u * x[2] + x[3]
    return np.column_stack([-num / den, -x[0] * u / den, x[0] * num * u / den ** 2,
                            x[0] * num / den ** 2])


_BD_T = np.arange(1, 21) / 5.0


def _brown_dennis(x):
    a = x[0] + _BD_T * x[1] - np.exp(_BD_T)
    b = x[2] + x[3] * np.sin(_BD_T) - np.cos(_BD_T)
    return a * a + b * b


def _brown_dennis_j(x):
    a = x[0] + _BD_T * x[1] - np.exp(_BD_T)
    b = x[2] + x[3] * np.sin(_BD_T) - np.cos(_BD_T)
    return np.column_stack([2.0 * a, 2.0 * a * _BD_T, 2.0 * b, 2.0 * b * np.sin(_BD_T)])


_OS1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
                   0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
                   0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
                   0.414, 0.411, 0.406])
_OS1_T = 10.0 * np.arange(33)


def _osborne1(x):
    return _OS1_Y - (x[0] + x[1] * np.exp(-_OS1_T * x[3]) + x[2] * np.exp(-_OS1_T * x[4]))


def _osborne1_j(x):
    e4, e5 = np.exp(-_OS1_T * x[3]), np.exp(-_OS1_T * x[4])
    return np.column_stack([-np.ones(33), -e4, -e5, x[1] * _OS1_T * e4, x[2] * _OS1_T * e5])


_BIGGS_T = 0.1 * np.arange(1, 14)
_BIGGS_Y = np.exp(-_BIGGS_T) - 5.0 * np.exp(-10.0 * _BIGGS_T) + 3.0 * np.exp(-4.0 * _BIGGS_T)


def _biggs_exp6(x):
    t = _BIGGS_T
    return (x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4])
            - _BIGGS_Y)


def _biggs_exp6_j(x):
    t = _BIGGS_T
    e0, e1, e4 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    return np.column_stack([-t * x[2] * e0, t * x[3] * e1, e0, -e1, -t * x[5] * e4, e4])


def _watson(x):
    n = x.size
    t = np.arange(1, 30) / 29.0
    j = np.arange(n)
    s1 = ((j[1:] * t[:, None] ** (j[1:] - 1)) * x[1:]).sum(axis=1)
    s2 = (t[:, None] ** j * x).sum(axis=1)
    return np.concatenate([s1 - s2 * s2 - 1.0, [x[0], x[1] - x[0] ** 2 - 1.0]])


def _watson_j(x):
    n = x.size
    t = np.arange(1, 30) / 29.0
    j = np.arange(n)
    s2 = (t[:, None] ** j * x).sum(axis=1)
    d1 = np.zeros((29, n))
    d1[:, 1:] = j[1:] * t[:, None] ** (j[1:] - 1)
    top = d1 - 2.0 * s2[:, None] * t[:, None] ** j
    e30 = np.zeros(n)
    e30[0] = 1.0
    e31 = np.zeros(n)
    e31[:2] = (-2.0 * x[0], 1.0)
    return np.vstack([top, e30, e31])


def _ext_rosenbrock(x):
    r = np.empty_like(x)
    r[0::2] = 10.0 * (x[1::2] - x[0::2] ** 2)
    r[1::2] = 1.0 - x[0::2]
    return r


def _ext_rosenbrock_j(x):
    n = x.size
    J = np.zeros((n, n))
    k = np.arange(0, n, 2)
    J[k, k] = -20.0 * x[k]
    J[k, k + 1] = 10.0
    J[k + 1, k] = -1.0
    return J


def _ext_powell(x):
    return np.concatenate([_powell_singular(x[i:i + 4]) for i in range(0, x.size, 4)])


def _ext_powell_j(x):
    n = x.size
    J = np.zeros((n, n))
    for i in range(0, n, 4):
        J[i:i + 4, i:i + 4] = _powell_singular_j(x[i:i + 4])
    return J


_PENALTY_A = 1e-5


def _penalty1(x):
    return np.concatenate([math.sqrt(_PENALTY_A) * (x - 1.0), [x @ x - 0.25]])


def _penalty1_j(x):
    return np.vstack([math.sqrt(_PENALTY_A) * np.eye(x.size), 2.0 * x])


def _variably_dimensioned(x):
    j = np.arange(1, x.size + 1)
    s = j @ (x - 1.0)
    return np.concatenate([x - 1.0, [s, s * s]])


def _variably_dimensioned_j(x):
    j = np.arange(1, x.size + 1, dtype=np.float64)
    s = j @ (x - 1.0)
    return np.vstack([np.eye(x.size), j, 2.0 * s * j])


def _trigonometric(x):
    n = x.size
    i = np.arange(1, n + 1)
    return n - np.cos(x).sum() + i * (1.0 - np.cos(x)) - np.sin(x)


def _trigonometric_j(x):
    n = x.size
    i = np.arange(1, n + 1)
    J = np.tile(np.sin(x), (n, 1))
    J[np.arange(n), np.arange(n)] += i * np.sin(x) - np.cos(x)
    return J


def _broyden_tridiagonal(x):
    xp = np.concatenate([[0.0], x, [0.0]])
    return (3.0 - 2.0 * x) * x - xp[:-2] - 2.0 * xp[2:] + 1.0


def _broyden_tridiagonal_j(x):
    n = x.size
    J = np.diag(3.0 - 4.0 * x)
    J[np.arange(1, n), np.arange(n - 1)] = -1.0
    J[np.arange(n - 1), np.arange(1, n)] = -2.0
    return J


_LFR_M = 20


def _linear_full_rank(x):
    s = x.sum()
    r = np.full(_LFR_M, -2.0 * s / _LFR_M - 1.0)
    r[:x.size] += x
    return r


def _linear_full_rank_j(x):
    J = np.full((_LFR_M, x.size), -2.0 / _LFR_M)
    J[np.arange(x.size), np.arange(x.size)] += 1.0
    return J


def _problems():
    P = MGHProblem
    n10 = np.arange(1, 11) / 10.0
    return [
        P(1, "rosenbrock", [-1.2, 1.0], 0.0, _rosenbrock, _rosenbrock_j, x_min=[1.0, 1.0]),
        P(2, "freudenstein_roth", [0.5, -2.0], 0.0, _freudenstein_roth,
          _freudenstein_roth_j, x_min=[5.0, 4.0],
          note="a local minimum f = 48.9842 at (11.41, -0.8968) attracts many methods"),
        P(3, "powell_badly_scaled", [0.0, 1.0], 0.0, _powell_badly_scaled,
          _powell_badly_scaled_j, note="minimum at (1.098e-5, 9.106)"),
        P(4, "brown_badly_scaled", [1.0, 1.0], 0.0, _brown_badly_scaled,
          _brown_badly_scaled_j, x_min=[1e6, 2e-6]),
        P(5, "beale", [1.0, 1.0], 0.0, _beale, _beale_j, x_min=[3.0, 0.5]),
        P(6, "jennrich_sampson", [0.3, 0.4], 124.362, _jennrich_sampson,
          _jennrich_sampson_j, note="m = 10; minimum at x1 = x2 = 0.2578",
          f_best=124.362182356),
        P(7, "helical_valley", [-1.0, 0.0, 0.0], 0.0, _helical_valley, _helical_valley_j,
          x_min=[1.0, 0.0, 0.0]),
        P(8, "bard", [1.0, 1.0, 1.0], 8.21487e-3, _bard, _bard_j,
          note="also f = 17.4286 at (0.8406, -inf, -inf)", f_best=8.21487730658e-3),
        P(9, "gaussian", [0.4, 1.0, 0.0], 1.12793e-8, _gaussian, _gaussian_j,
          f_best=1.12793276962e-8),
        P(10, "meyer", [0.02, 4000.0, 250.0], 87.9458, _meyer, _meyer_j, f_best=87.9458551704),
        P(12, "box_3d", [0.0, 10.0, 20.0], 0.0, _box3d, _box3d_j, x_min=[1.0, 10.0, 1.0],
          note="m = 10; also zero at (10, 1, -1) and wherever x1 = x2, x3 = 0"),
        P(13, "powell_singular", [3.0, -1.0, 0.0, 1.0], 0.0, _powell_singular,
          _powell_singular_j, x_min=[0.0, 0.0, 0.0, 0.0],
          note="singular Hessian at the minimum"),
        P(14, "wood", [-3.0, -1.0, -3.0, -1.0], 0.0, _wood, _wood_j,
          x_min=[1.0, 1.0, 1.0, 1.0]),
        P(15, "kowalik_osborne", [0.25, 0.39, 0.415, 0.39], 3.07505e-4, _kowalik_osborne,
          _kowalik_osborne_j, note="also f = 1.02734e-3 at (+inf, -14.07, -inf, -inf)",
          f_best=3.07505603849e-4),
        P(16, "brown_dennis", [25.0, 5.0, -5.0, -1.0], 85822.2, _brown_dennis,
          _brown_dennis_j, note="m = 20", f_best=85822.2016264),
        P(17, "osborne1", [0.5, 1.5, -1.0, 0.01, 0.02], 5.46489e-5, _osborne1, _osborne1_j,
          f_best=5.46489469748e-5),
        P(18, "biggs_exp6", [1.0, 2.0, 1.0, 1.0, 1.0, 1.0], 5.65565e-3, _biggs_exp6,
          _biggs_exp6_j, x_min=None,
          note="m = 13; also f = 0 at (1, 10, 1, 5, 4, 3), the global minimum",
          f_best=5.6556499255e-3),
        P(20, "watson", np.zeros(6), 2.28767e-3, _watson, _watson_j, note="n = 6",
          f_best=2.28767005355e-3),
        P(21, "extended_rosenbrock", np.resize([-1.2, 1.0], 10), 0.0, _ext_rosenbrock,
          _ext_rosenbrock_j, x_min=np.ones(10), note="n = 10"),
        P(22, "extended_powell", np.resize([3.0, -1.0, 0.0, 1.0], 8), 0.0, _ext_powell,
          _ext_powell_j, x_min=np.zeros(8), note="n = 8"),
        P(23, "penalty1", np.arange(1.0, 11.0), 7.08765e-5, _penalty1, _penalty1_j,
          note="n = 10", f_best=7.08765146709e-5),
        P(25, "variably_dimensioned", 1.0 - n10, 0.0, _variably_dimensioned,
          _variably_dimensioned_j, x_min=np.ones(10), note="n = 10"),
        P(26, "trigonometric", np.full(10, 0.1), 0.0, _trigonometric, _trigonometric_j,
          note="n = 10; also a local minimum f = 2.79506e-5"),
        P(30, "broyden_tridiagonal", np.full(10, -1.0), 0.0, _broyden_tridiagonal,
          _broyden_tridiagonal_j, note="n = 10"),
        P(32, "linear_full_rank", np.ones(10), float(_LFR_M - 10), _linear_full_rank,
          _linear_full_rank_j, x_min=np.full(10, -1.0), note="n = 10, m = 20"),
    ]


#: Every problem here by name (the paper's order).
MGH_PROBLEMS = {p.name: p for p in _problems()}
