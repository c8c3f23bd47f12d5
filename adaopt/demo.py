"""The demo behind ``python -m adaopt``.

It runs :func:`adaopt.minimize` with default options (its policy: RMSprop
with momentum 0.9, the rate following ``f`` by
:class:`adaopt.schedules.bold_driver`) on the 2-D Rosenbrock function from the
classic start (-1.2, 1), showing the progress display as it goes and scipy's
summary at the end, then the result next to the known minimum.
"""

import numpy as np

from ._minimize import minimize
from ._problem import METHODS, option_defaults
from .problems import Rosenbrock

#: Iterations between two progress lines.
PROGRESS_EVERY = 200


def main(argv=(), out=print):
    p = Rosenbrock(2)
    out("adaopt demo: adaopt.minimize (RMSprop) on the Rosenbrock function "
        "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2")
    defaults = option_defaults(METHODS["rmsprop"])     # what the call below runs with
    out(f"from x0 = ({p.x0[0]}, {p.x0[1]}), default options: momentum "
        f"{defaults['momentum']}, the rate follows f (bold driver, from lr = "
        f"{defaults['lr']:g}), gtol={defaults['gtol']:g}")
    res = minimize(p.fun, p.x0, jac=p.jac, options=dict(progress=PROGRESS_EVERY, disp=True))
    err = float(np.abs(res.x - p.x_min).max())
    out(f"x = ({res.x[0]:.6f}, {res.x[1]:.6f}), f = {res.fun:.3e}; the minimum is "
        f"f = 0 at (1, 1): max |x - x*| = {err:.1e}")
    return 0 if res.success else 1
