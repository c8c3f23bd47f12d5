"""asv: cold start, in a fresh interpreter each time (``timeraw_``).

DESIGN.md section 3: ``import adaopt`` plus the first ``minimize`` with a
warm on-disk cache well under a second.  asv runs each snippet in a new
process; the first run of all fills Numba's on-disk cache, the repeats then
measure what a user's second and later sessions see.
"""


def timeraw_import():
    return "import adaopt"


def timeraw_import_and_first_minimize():
    return """
import numpy as np
import adaopt
adaopt.minimize(lambda x: float(x @ x), np.array([1.0, 2.0]), jac=lambda x: 2 * x,
                options=dict(lr=0.1, maxiter=10))
"""


def timeraw_import_and_first_step():
    return """
import numpy as np
import adaopt
x = np.ones(1000)
adaopt.RMSprop(x).step(np.ones(1000))
"""
