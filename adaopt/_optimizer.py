"""The :class:`Optimizer` base class: what every optimizer over a flat vector shares.

A subclass names its method description (:mod:`adaopt._method`) and its
positional hyperparameters; everything else (the signature with the
method's defaults, checking, the state arrays, the step, checkpoints) comes
from that description, so an optimizer object and ``minimize`` cannot
disagree on a default, a check or the preparation of a step.
"""

import inspect

import numpy as np

from . import _background_compile, _threading, kernels
from ._learning_rate import check_lr, check_schedule, checked_rate, rate_prefix
from ._validation import check_grad, check_params

__all__ = ["Optimizer", "NonFiniteUpdateError"]


class NonFiniteUpdateError(FloatingPointError):
    """A step met a non-finite gradient or update.

    Raised by :meth:`Optimizer.step` when ``nonfinite='raise'``.  The elements
    concerned were left unchanged, their optimizer state too; every other
    element took its step and the step count advanced.
    """


class Optimizer:
    """Base class of adaopt's optimizers over one flat parameter vector.

    A subclass (:class:`adaopt.RMSprop`) is created as
    ``Subclass(params, <positional hyperparameters>, *, <the others>,
    lr_schedule=None)``, with the signature and defaults of its method
    description:

    Parameters
    ----------
    params : ndarray
        Writable, C-contiguous, aligned, 1-D float32 or float64 array in
        native byte order.  It is updated in place by :meth:`step` and never
        copied.
    lr : float
        Learning rate, ``lr >= 0``.  Used when ``lr_schedule`` is None.
    lr_schedule : callable, optional
        ``lr_schedule(t) -> float`` gives the learning rate of step ``t``
        (1-based); it overrides ``lr``.  See :mod:`adaopt.schedules`.
    **hyperparameters
        Those of the method, checked by its description.

    Notes
    -----
    A subclass sets two class attributes: ``method``, the method
    description (:class:`adaopt._method.Method`), and ``positional``, the
    names of the hyperparameters that may be passed by position after
    ``params``.  Its signature is made from them (``inspect.signature``
    shows the method's defaults), and so are the class attributes
    ``hyperparameter_defaults`` (name -> default, without ``lr``) and
    ``state_names`` (the per-element state arrays).  The base class's own
    ``__init__(params, lr_schedule, hyperparameters)`` takes the
    hyperparameters as one dict.
    """

    method = None
    positional = ("lr",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.method is None:
            return
        # read from the description, for users and tools (not restated)
        cls.hyperparameter_defaults = {k: v for k, v in cls.method.defaults.items()
                                       if k != "lr"}
        cls.state_names = cls.method.state_names
        P = inspect.Parameter
        params = [P("self", P.POSITIONAL_OR_KEYWORD), P("params", P.POSITIONAL_OR_KEYWORD)]
        for h in cls.method.hyperparameters:
            if h.fixed:
                continue
            kind = P.POSITIONAL_OR_KEYWORD if h.name in cls.positional else P.KEYWORD_ONLY
            params.append(P(h.name, kind, default=h.default))
            if h.name == "lr":
                params.append(P("lr_schedule", P.KEYWORD_ONLY, default=None))
        params.sort(key=lambda p: p.kind)       # keyword-only after the others
        cls._signature = inspect.Signature(params)

        def __init__(self, *args, **kwargs):
            bound = cls._signature.bind(self, *args, **kwargs)
            given = dict(bound.arguments)
            given.pop("self")
            params = given.pop("params")
            schedule = given.pop("lr_schedule", None)
            Optimizer.__init__(self, params, schedule, given)

        __init__.__signature__ = cls._signature
        __init__.__doc__ = f"Create a {cls.method.title} optimizer over ``params``."
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = __init__

    def __init__(self, params, lr_schedule, hyperparameters):
        params = check_params(params)
        schedule = check_schedule(lr_schedule)
        hyper = self.method.check(hyperparameters)
        self._params = params
        self._schedule = schedule
        self._t = 0
        self._configure(hyper, self._fresh_state(params, hyper))

    def _fresh_state(self, params, hyper):
        """The state rows these hyperparameters use, at their starting values."""
        method = self.method
        cfg = method.settings(hyper)
        flavour = method.flavour(cfg)
        S = np.empty((sum(flavour), params.size), dtype=params.dtype)
        S[...] = method.initial_state(cfg, flavour)[:, None]
        return S

    def _configure(self, hyper, S):
        """Take ``hyper`` (checked) and the state ``S``; derive what steps read."""
        method = self.method
        self._hyper = hyper
        self._lr = hyper["lr"]
        cfg = method.settings(hyper)
        flavour = method.flavour(cfg)
        self._cfg = cfg
        self._S = S
        self._rows = method.state_rows(flavour)
        hp = np.empty(method.hp_size, dtype=self._params.dtype)
        method.fixed_scalars(hp, cfg)
        self._hp = hp
        # What every step calls, looked up once (a step at small n costs
        # about a microsecond, and each lookup or call counts).
        self._per_step = method.per_step(cfg)
        clips = method.clips_norm(cfg)
        self._prepare = method.step_scalars_build(False, clips) if self._per_step else None
        self._prepare_parallel = (method.step_scalars_build(True, clips) if self._per_step
                                  else None)
        # one body compiled where these settings decide it for every step
        bodies = method.kernel_bodies(cfg)
        self._serial_loop = method.kernel(flavour, False, bodies)
        self._parallel_loop = method.kernel(flavour, True, bodies)
        # whether the parallel builds are compiled (see _parallel_args)
        self._parallel_ready = False

    # -- public API ----------------------------------------------------------

    @property
    def params(self):
        """The parameter vector, the very array passed in (updated in place)."""
        return self._params

    @property
    def step_count(self):
        """Number of steps taken so far."""
        return self._t

    @property
    def lr(self):
        """Learning rate the next step will use (from the schedule if any).

        Settable when there is no schedule, like PyTorch's
        ``param_groups[0]['lr']``.
        """
        return self._lr_at(self._t + 1)

    @lr.setter
    def lr(self, value):
        if self._schedule is not None:
            raise AttributeError("lr is set by lr_schedule; set lr_schedule instead")
        self._lr = check_lr(value)
        self._hyper["lr"] = self._lr

    @property
    def lr_schedule(self):
        """The learning-rate schedule, or None for a constant ``lr``."""
        return self._schedule

    @lr_schedule.setter
    def lr_schedule(self, schedule):
        self._schedule = check_schedule(schedule)

    @property
    def hyperparameters(self):
        """A copy of the hyperparameters (without ``lr``)."""
        return {k: v for k, v in self._hyper.items()
                if k != "lr" and k in self.method.defaults}

    @property
    def state(self):
        """The state arrays in use, by name (live arrays: do not resize them)."""
        return dict(zip(self._rows, self._S))

    def _lr_at(self, t):
        if self._schedule is None:
            return self._lr
        return checked_rate(self._schedule(t), t)

    def _lr_table(self, first, stop):
        """Learning rates of steps ``first, ..., stop - 1``, a checked float64 array
        (:func:`adaopt._learning_rate.rate_prefix`; raises its error)."""
        table, error = rate_prefix(self._schedule, self._lr, first, stop)
        if error is not None:
            raise error
        return table

    def step(self, grad):
        """Take one step in place with gradient ``grad``.

        Parameters
        ----------
        grad : ndarray
            Gradient of the objective at :attr:`params`: same dtype and shape,
            C-contiguous, aligned, in native byte order.  It is read, never
            modified, and never copied: anything else raises.

        Raises
        ------
        TypeError, ValueError
            For a bad ``grad``, for ``params`` made read-only since the
            optimizer was created, or for a bad learning rate from the
            schedule, before anything changes.
        NonFiniteUpdateError
            When ``nonfinite='raise'`` and some element met a non-finite
            gradient or update: those elements kept their values, the others
            took the step.
        """
        params = self._params
        # the step loop itself raises for a grad sharing memory with params
        grad = check_grad(grad, params, overlap=False)
        if not params.flags.writeable:
            # made read-only after construction: the step cannot update it
            raise ValueError("params must be writeable (it is updated in place), but it "
                             "was made read-only after the optimizer was created")
        t = self._t + 1
        lr = self._lr_at(t)
        hp = self._hp
        # The path is chosen per step (PARALLEL_THRESHOLD is read at call
        # time).  Above it, _threading coordinates parallel regions.
        # Until the parallel builds are compiled (or loaded from the disk
        # cache) a long vector takes the serial ones, the same bits, and
        # they compile in the background after the step: a first step waits
        # for the serial build alone (adaopt._background_compile).
        parallel = kernels.use_parallel(params.shape[0])
        later = None
        if parallel and not self._parallel_ready:
            later = self._parallel_args(grad, lr, t)
            parallel = self._parallel_ready = all(_background_compile.built(*b)
                                                  for b in later)
        if parallel:
            if self._per_step:
                _threading.run_kernel(self._prepare_parallel, self._prepare, hp,
                                      self._cfg, grad, lr, t)
            else:
                hp[kernels.LR_SLOT] = lr
            bad = _threading.run_kernel(self._parallel_loop, self._serial_loop,
                                        params, grad, self._S, hp)
        else:
            if self._per_step:
                self._prepare(hp, self._cfg, grad, lr, t)
            else:
                # the method's step_scalars sets only the rate (per_step False)
                hp[kernels.LR_SLOT] = lr
            bad = self._serial_loop(params, grad, self._S, hp)
            if later is not None:
                for build in later:
                    _background_compile.compile_in_background(*build)
        self._t = t
        if bad:
            self._on_nonfinite(grad, t)

    def _parallel_args(self, grad, lr, t):
        # the parallel builds a step calls, with their arguments' types
        builds = [(self._parallel_loop, (self._params, grad, self._S, self._hp))]
        if self._per_step:
            builds.append((self._prepare_parallel, (self._hp, self._cfg, grad, lr, t)))
        return builds

    def _on_nonfinite(self, grad, t):
        if self._hyper.get("nonfinite") == "raise":
            nbad = grad.size - int(np.count_nonzero(np.isfinite(grad)))
            what = (f"{nbad} non-finite gradient element(s)" if nbad else
                    "a non-finite update (overflow in the second moment or the step)")
            raise NonFiniteUpdateError(
                f"step {t} met {what}; those elements and their state were left "
                "unchanged, the others took the step. Pass nonfinite='skip' to "
                "carry on silently.")

    # -- checkpointing ---------------------------------------------------------

    def state_dict(self):
        """Return a checkpoint: step count, hyperparameters and state arrays.

        Every value is a copy and a plain scalar, string or array, so the dict
        can be stored with ``np.savez(path, **opt.state_dict())``; optional
        hyperparameters that are None are left out, and so are the state
        arrays these hyperparameters do not use.  The schedule is code, not
        state: recreate the optimizer with the same schedule to resume.
        """
        sd = {"optimizer": type(self).__name__, "step": self._t, "lr": self._lr}
        settable = self.method.defaults
        for name, value in self._hyper.items():
            if value is not None and name != "lr" and name in settable:
                sd[name] = value
        for name, row in zip(self._rows, self._S):
            sd[name] = row.copy()
        return sd

    def load_state_dict(self, state_dict):
        """Restore a checkpoint made by :meth:`state_dict`.

        Accepts the dict itself or what ``np.load`` returns for a file written
        with ``np.savez(path, **opt.state_dict())``.  Everything is checked
        before anything changes; the parameter vector itself is not part of
        the checkpoint (save it alongside).
        """
        method = self.method
        sd = {key: _plain(state_dict[key]) for key in state_dict.keys()}
        kind = sd.pop("optimizer", type(self).__name__)
        if kind != type(self).__name__:
            raise ValueError(f"state_dict['optimizer'] is {kind!r}: a checkpoint of "
                             f"another optimizer, not {type(self).__name__}")
        known = {"step", *method.defaults, *method.state_names}
        unknown = sorted(set(sd) - known)
        if unknown:
            raise ValueError(f"state_dict has unknown keys {unknown}")
        missing = sorted({"step", "lr"} - set(sd))
        if missing:
            raise ValueError(f"state_dict lacks keys {missing}")
        step = sd["step"]
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) \
                or step < 0:
            raise ValueError(f"state_dict['step'] must be an integer >= 0, got {step!r}")
        check_lr(sd["lr"], "state_dict['lr']")
        # The hyperparameters are checked first: they decide which state
        # arrays the checkpoint must hold.
        hyper = method.check({name: sd.get(name, default)
                              for name, default in method.defaults.items()})
        S = self._fresh_state(self._params, hyper)
        rows = method.state_rows(method.flavour(method.settings(hyper)))
        for name in method.state_names:
            if name not in sd:
                if name in rows:
                    raise ValueError(f"state_dict lacks key {name!r}, which these "
                                     "hyperparameters use")
                continue
            arr = np.asarray(sd[name])
            if name not in rows:
                raise ValueError(f"state_dict[{name!r}] is a state array these "
                                 "hyperparameters do not use")
            if arr.shape != S.shape[1:] or arr.dtype != S.dtype:
                raise ValueError(
                    f"state_dict[{name!r}] must have shape {S.shape[1:]} and "
                    f"dtype {S.dtype}, got {arr.shape} {arr.dtype}")
            S[rows.index(name)] = arr
        for spec in method.state:
            if spec.nonnegative and spec.name in rows:
                # a sum of squares is never negative (NaN and inf can be
                # real, after nonfinite='propagate'); a negative one would
                # make sqrt NaN and silently freeze those elements
                with np.errstate(invalid="ignore"):
                    negative = np.count_nonzero(S[rows.index(spec.name)] < 0)
                if negative:
                    raise ValueError(f"state_dict[{spec.name!r}] must be >= 0, got "
                                     f"{negative} negative element(s)")
        self._t = int(step)
        self._configure(hyper, S)

    def __repr__(self):
        parts = [f"n={self._params.size}", f"dtype={self._params.dtype}"]
        if self._schedule is None:
            parts.append(f"lr={self._lr!r}")
        else:
            parts.append(f"lr_schedule={self._schedule!r}")
        defaults = self.method.defaults
        for name, value in self._hyper.items():
            if name != "lr" and name in defaults and value != defaults[name]:
                parts.append(f"{name}={value!r}")
        parts.append(f"step_count={self._t}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _plain(value):
    """Turn the 0-d arrays ``np.load`` gives back into Python scalars."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    return value
