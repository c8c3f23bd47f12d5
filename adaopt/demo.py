"""The demo behind ``python -m adaopt``.

It runs :func:`adaopt.minimize` on the 2-D Rosenbrock function from the
classic start (-1.2, 1), with a cosine-decaying learning rate, showing the
progress display as it goes and scipy's summary at the end, then the result
next to the known minimum.
"""

import numpy as np

from ._minimize import minimize
from .problems import Rosenbrock
from .schedules import cosine_decay

#: The demo's hyperparameters (the same ones the tests document).
LR = 0.01
STEPS = 20000


def main(argv=(), out=print):
    p = Rosenbrock(2)
    out("adaopt demo: adaopt.minimize (RMSprop) on the Rosenbrock function "
        "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2")
    out(f"from x0 = ({p.x0[0]}, {p.x0[1]}), rho=0.9, lr: cosine decay from {LR} over "
        f"{STEPS} steps, gtol=1e-5")
    res = minimize(p.fun, p.x0, jac=p.jac, options=dict(
        lr_schedule=cosine_decay(LR, STEPS), maxiter=STEPS, progress=2000,
        disp=True))
    err = float(np.abs(res.x - p.x_min).max())
    out(f"x = ({res.x[0]:.6f}, {res.x[1]:.6f}), f = {res.fun:.3e}; the minimum is "
        f"f = 0 at (1, 1): max |x - x*| = {err:.1e}")
    return 0 if res.success else 1
