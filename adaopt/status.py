"""Status codes and messages of :func:`adaopt.minimize`, shared by every driver.

The Python-driven loop and the compiled driver report through the same table,
so a result's ``status`` means the same thing whichever path produced it.
Codes follow scipy where scipy has one (``1`` iteration limit, ``2``
evaluation limit, ``99`` callback stop).
"""

GTOL = 0          # gradient inf-norm <= gtol
MAXITER = 1       # iteration limit reached
MAXFEV = 2        # function-evaluation limit reached
NONFINITE = 3     # f or g was not finite: last finite iterate returned
FTOL = 4          # relative change of f below ftol (stagnation)
XTOL = 5          # step size below xtol (stagnation)
INTERRUPTED = 6   # KeyboardInterrupt: work so far returned
CALLBACK = 99     # callback raised StopIteration (scipy's code)

MESSAGES = {
    GTOL: "Optimization terminated successfully: gradient norm <= gtol.",
    MAXITER: "Maximum number of iterations has been exceeded.",
    MAXFEV: "Maximum number of function evaluations has been exceeded.",
    NONFINITE: "Stopped: the objective or its gradient was not finite; "
               "x is the last iterate where both were finite.",
    FTOL: "Optimization terminated: relative change of f <= ftol.",
    XTOL: "Optimization terminated: step size <= xtol.",
    INTERRUPTED: "Stopped by KeyboardInterrupt; x is the last iterate reached.",
    CALLBACK: "`callback` raised `StopIteration`.",
}

#: Statuses that count as success.
SUCCESS = frozenset({GTOL, FTOL, XTOL})
