"""The learning-rate feedback rules and minimize's default policy (issue: defaults that converge).

* The rule as the drivers run it (adaopt._feedback, in the slots of the
  control array) gives, after every value of ``f``, the rate of
  ``reference.py``'s bold driver (written from its documentation) and of
  PyTorch's plateau code, to the bit, in Python and compiled.  The same
  configurations run through every front end in test_differential.py.
* The default options converge where a constant rate did not: scipy's
  Rosenbrock from its standard start, with and without a gradient; a
  minibatch objective ends closer to its minimum than with a constant rate.
* ``lr_schedule=None`` is the constant rate; bad rules raise before anything runs.
"""

import math

import numpy as np
import pytest
import scipy.optimize

import adaopt
from adaopt import _feedback, schedules
from adaopt._problem import METHODS, no_policy_options
from adaopt._workspace import CTL_SIZE, Ctl
from adaopt.problems import LogisticRegression
from reference import BoldDriverReference, TorchPlateau


def test_the_rule_slots_fit_the_control_array():
    from adaopt import _plateau
    assert Ctl.PLATEAU_SETTING - Ctl.PLATEAU_STATE == _plateau.STATE_SIZE
    assert CTL_SIZE == Ctl.PLATEAU_SETTING + _plateau.SETTING_SIZE
    assert _feedback.RULE_SLOTS.stop == CTL_SIZE
    assert schedules.bold_driver().block().shape == (CTL_SIZE - Ctl.LR_RULE,)


def _values(seed):
    """f values that fall, rise, repeat, and hold a NaN: every branch."""
    rng = np.random.default_rng(seed)
    f = np.cumsum(rng.standard_normal(200)) + 50.0
    f[40:60] = f[40]                 # equal values: the rate stays
    f[100] = np.nan
    f[150:] -= np.arange(50) * 3.0   # a long fall: the rate hits max_lr
    return f


def _run_rule(rule, lr, sign, values, functions=(_feedback.fill_rule, _feedback.next_rate)):
    fill_rule, next_rate = functions
    ctl = np.zeros(CTL_SIZE)
    fill_rule(ctl, rule.block(), lr, sign)
    return [next_rate(ctl, float(f)) for f in values]


RULES = [
    (schedules.bold_driver(), lambda lr: BoldDriverReference(lr)),
    (schedules.bold_driver(1.5, 0.3, min_lr=1e-3, max_lr=0.05),
     lambda lr: BoldDriverReference(lr, 1.5, 0.3, 1e-3, 0.05)),
    (schedules.bold_driver(1.5, 0.3, max_growth=3.0),
     lambda lr: BoldDriverReference(lr, 1.5, 0.3, max_growth=3.0)),
    (schedules.plateau(), lambda lr: TorchPlateau(lr)),
    (schedules.plateau(mode="max", threshold_mode="abs", threshold=0.5, patience=2,
                       cooldown=3, factor=0.5, min_lr=1e-4),
     lambda lr: TorchPlateau(lr, mode="max", threshold_mode="abs", threshold=0.5,
                             patience=2, cooldown=3, factor=0.5, min_lr=1e-4)),
]


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("rule, make_reference", RULES,
                         ids=["bold_default", "bold_capped", "bold_growth", "plateau_default",
                              "plateau_max_abs"])
def test_the_rule_gives_the_reference_rates(rule, make_reference, sign):
    values = _values(3)
    ref = make_reference(0.01)
    want = []
    for f in values:
        ref.step(sign * f)            # the rules see the objective minimized
        want.append(ref.lr)
    assert _run_rule(rule, 0.01, sign, values) == want
    # the compiled builds: with the plateau rule, and (the bold driver's
    # drivers) without it
    assert _run_rule(rule, 0.01, sign, values, _feedback.compiled_rule(True)) == want
    if rule.block()[0] == _feedback.BOLD_DRIVER:
        assert _run_rule(rule, 0.01, sign, values, _feedback.compiled_rule(False)) == want


def test_a_build_without_the_plateau_rule_refuses_it():
    fill_rule, next_rate = _feedback.compiled_rule(False)
    ctl = np.zeros(CTL_SIZE)
    with pytest.raises(ValueError, match="without the plateau rule"):
        fill_rule(ctl, schedules.plateau().block(), 0.01, 1.0)
    _feedback.fill_rule(ctl, schedules.plateau().block(), 0.01, 1.0)
    assert _feedback.uses_plateau(ctl)
    with pytest.raises(ValueError, match="without the plateau rule"):
        next_rate(ctl, 1.0)


def test_the_bold_driver_reaches_its_caps_and_keeps_the_rate_on_ties():
    rates = _run_rule(schedules.bold_driver(2.0, 0.5, min_lr=0.1, max_lr=0.8), 0.2, 1.0,
                      [5.0, 4.0, 3.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert rates == [0.2, 0.4, 0.8, 0.8, 0.8, 0.4, 0.2, 0.1, 0.1]


def test_default_options_converge_on_scipy_rosenbrock():
    # with finite differences (jac=None) and with the gradient
    for jac in (None, scipy.optimize.rosen_der):
        res = adaopt.minimize(scipy.optimize.rosen, [-1.2, 1.0], jac=jac)
        assert res.success and res.status == 0, res.message
        np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)


def test_none_keeps_the_constant_rate():
    # a constant rate (with minimize's momentum): no convergence in 10000 steps
    res = adaopt.minimize(scipy.optimize.rosen, [-1.2, 1.0], jac=scipy.optimize.rosen_der,
                          options={"lr_schedule": None})
    assert res.status == adaopt.status.MAXITER and res.nit == 10000
    const = adaopt.minimize(scipy.optimize.rosen, [-1.2, 1.0], jac=scipy.optimize.rosen_der,
                            options={"lr_schedule": schedules.constant(1e-3)})
    np.testing.assert_array_equal(res.x, const.x)


def test_a_minibatch_gradient_without_the_policy_takes_the_constant_rate():
    # no_policy_options: the optimizer object's run (a constant rate, no
    # momentum), which ends near the minimum of a minibatch problem; the
    # default policy does as well there (tests/test_mgh.py compares them)
    p = LogisticRegression(seed=1)
    res = adaopt.minimize(p.fun, p.x0, jac=p.jac,
                          options=no_policy_options(METHODS["rmsprop"]))
    assert res.status == adaopt.status.MAXITER and res.nit == 10000
    assert 0.0 <= res.fun - p.f_min < 1e-4


def test_progress_shows_the_rate_of_each_step(capsys):
    adaopt.minimize(scipy.optimize.rosen, [-1.2, 1.0], jac=scipy.optimize.rosen_der,
                    options=dict(maxiter=30, progress=10))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["iter", "f", "|g|_inf", "lr", "iter/s"]
    rows = [line.split() for line in lines[1:4]]
    assert [int(r[0]) for r in rows] == [0, 10, 20]
    assert float(rows[0][3]) == 1e-3            # the first step takes lr
    ref, f = BoldDriverReference(1e-3), scipy.optimize.rosen
    x, opt = np.array([-1.2, 1.0]), None
    # the object with minimize's default policy's momentum
    opt = adaopt.RMSprop(x, momentum=METHODS["rmsprop"].minimize_defaults["momentum"])
    for k in range(11):
        ref.step(f(x))
        opt.lr = ref.lr
        if k == 10:
            assert float(rows[1][3]) == float(f"{ref.lr:.3e}")
        opt.step(scipy.optimize.rosen_der(x))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(increase=0.5), ValueError, "increase"),
    (dict(decrease=0.0), ValueError, "decrease"),
    (dict(decrease=1.5), ValueError, "decrease"),
    (dict(min_lr=-1.0), ValueError, "min_lr"),
    (dict(max_lr=math.nan), ValueError, "max_lr"),
    (dict(min_lr=0.5, max_lr=0.1), ValueError, "min_lr"),
    (dict(max_growth=0.5), ValueError, "max_growth"),
    (dict(increase="2"), TypeError, "increase"),
])
def test_bad_bold_driver_arguments_name_themselves(kwargs, error, name):
    with pytest.raises(error, match=name):
        schedules.bold_driver(**kwargs)


def test_bad_rules_raise_before_anything_runs():
    calls = []

    def f(x):
        calls.append(1)
        return float(x @ x)
    with pytest.raises(ValueError, match="factor"):
        adaopt.minimize(f, [1.0], options={"lr_schedule": schedules.plateau(factor=1.0)})
    with pytest.raises(TypeError, match="lr_schedule"):
        adaopt.minimize(f, [1.0], options={"lr_schedule": 0.01})
    with pytest.raises(TypeError, match="lr_schedule"):
        adaopt.RMSprop(np.zeros(2), lr_schedule=schedules.bold_driver())
    assert not calls


def test_reprs_show_the_settings():
    assert repr(schedules.bold_driver()) == (
        "bold_driver(increase=1.1, decrease=0.85, min_lr=0.0, max_lr=inf, max_growth=1000.0)")
    assert repr(schedules.plateau(patience=3)).startswith("plateau(mode='min', factor=0.1, "
                                                          "patience=3,")
