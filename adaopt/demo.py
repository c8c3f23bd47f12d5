"""The demo behind ``python -m adaopt``.

It minimizes the seeds' anisotropic quadratic f(x, y) = x^2 + 10 y^2 from
(5, 5) with :class:`adaopt.RMSprop` and a cosine learning-rate decay, printing progress as it goes and a
summary at the end.
"""

import time

import numpy as np

from .rmsprop import RMSprop
from .schedules import cosine_decay


def main(argv=(), out=print):
    x = np.array([5.0, 5.0])
    scale = np.array([1.0, 10.0])
    steps = 300
    opt = RMSprop(x, rho=0.9, lr_schedule=cosine_decay(0.1, decay_steps=steps))
    out("adaopt demo: RMSprop on f(x, y) = x^2 + 10 y^2 from (5, 5), "
        f"rho=0.9, lr: cosine decay from 0.1 over {steps} steps")
    out(f"{'step':>6} {'f':>12} {'x':>10} {'y':>10}")
    start = time.perf_counter()
    for t in range(1, steps + 1):
        f = float(scale @ (x * x))
        opt.step(2.0 * scale * x)
        if t <= 10 or t % 50 == 0:
            out(f"{t:6d} {f:12.6f} {x[0]:10.6f} {x[1]:10.6f}")
    elapsed = time.perf_counter() - start
    f = float(scale @ (x * x))
    out(f"done: {steps} steps in {elapsed * 1e3:.1f} ms, f = {f:.3e} at "
        f"x = ({x[0]:.3e}, {x[1]:.3e}); the minimum is f = 0 at (0, 0)")
    return 0
