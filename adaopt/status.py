"""Status codes and messages of :func:`adaopt.minimize`, shared by every driver.

The Python-driven loop and the compiled driver report through the same table,
so a result's ``status`` means the same thing whichever path produced it.
Codes follow scipy where scipy has one (``1`` iteration limit, ``2``
evaluation limit, ``99`` callback stop).

A result of status ``EXCEPTION`` is never returned: it is the
``adaopt_result`` attribute of the exception that stopped the run (see
:func:`adaopt.minimize`).
"""

GTOL = 0          # gradient inf-norm <= gtol
MAXITER = 1       # iteration limit reached
MAXFEV = 2        # function-evaluation limit reached
NONFINITE = 3     # f or g was not finite: last finite iterate returned
FTOL = 4          # relative change of f below ftol (stagnation)
XTOL = 5          # step size below xtol (stagnation)
INTERRUPTED = 6   # KeyboardInterrupt: work so far returned
EXCEPTION = 7     # an exception from user code stopped the run (carried by it)
NOT_RUN = 8       # multistart: this start never began (an earlier one was stopped)
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
    EXCEPTION: "Stopped by an exception from fun, jac, the callback or lr_schedule; "
               "x is the last iterate whose f and g were evaluated.",
    NOT_RUN: "Not run.",
    CALLBACK: "`callback` raised `StopIteration`.",
}

#: Messages of a :func:`adaopt.multistart` start that never began (status
#: ``NOT_RUN``), by the status of the start that stopped the others.
NOT_RUN_MESSAGES = {
    INTERRUPTED: "Not run: KeyboardInterrupt stopped an earlier start.",
    EXCEPTION: "Not run: an exception stopped an earlier start.",
}

def succeeded(code):
    """Whether ``code`` counts as success (the one rule: Python and compiled
    code call this function)."""
    return code == GTOL or code == FTOL or code == XTOL


#: Statuses that count as success.
SUCCESS = frozenset(code for code in MESSAGES if succeeded(code))
