"""The :class:`Optimizer` base class: what every optimizer over a flat vector shares.

A subclass declares its hyperparameters and state arrays and implements
:meth:`Optimizer._update`; the base class owns the parameter vector, the step
count, the learning-rate schedule, argument checking and checkpointing.
"""

import math

import numpy as np

from ._validation import check_grad, check_params, check_real

__all__ = ["Optimizer", "NonFiniteUpdateError"]


class NonFiniteUpdateError(FloatingPointError):
    """A step met a non-finite gradient or update.

    Raised by :meth:`Optimizer.step` when ``nonfinite='raise'``.  The elements
    concerned were left unchanged, their optimizer state too; every other
    element took its step and the step count advanced.
    """


class Optimizer:
    """Base class of adaopt's optimizers over one flat parameter vector.

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
        Checked by the subclass in :meth:`_check_hyperparameters`.

    Notes
    -----
    Subclasses set two class attributes, ``hyperparameter_defaults`` (an
    ordered mapping of name to default) and ``state_names`` (the names of the
    per-element state arrays), and implement :meth:`_check_hyperparameters`,
    :meth:`_init_state` (pure: it may not touch ``self``), :meth:`_configure`
    and :meth:`_update`.
    """

    hyperparameter_defaults = {}
    state_names = ()
    #: False when :meth:`_update`'s compiled loop itself raises the
    #: ``ValueError`` for a ``grad`` that shares memory with ``params``
    #: (before changing anything), so :meth:`step` need not test it again.
    _grad_overlap_check = True

    def __init__(self, params, lr, lr_schedule=None, **hyperparameters):
        params = check_params(params)
        lr = check_real("lr", lr, low=0.0, high=math.inf, high_open=True)
        if lr_schedule is not None and not callable(lr_schedule):
            raise TypeError(f"lr_schedule must be callable t -> lr, got {lr_schedule!r}")
        hyper = self._check_hyperparameters(dict(hyperparameters))
        self._params = params
        self._lr = lr
        self._schedule = lr_schedule
        self._hyper = hyper
        self._t = 0
        self._state = self._init_state(params, hyper)
        self._configure()

    # -- what subclasses provide -------------------------------------------

    def _check_hyperparameters(self, hyper):  # pragma: no cover - abstract
        """Return the checked hyperparameters; raise naming a bad one."""
        raise NotImplementedError

    def _init_state(self, params, hyper):  # pragma: no cover - abstract
        """Return a dict of freshly initialised state arrays."""
        raise NotImplementedError

    def _configure(self):
        """Derive whatever the subclass caches from the (new) hyperparameters."""

    def _update(self, grad, lr, t):  # pragma: no cover - abstract
        """Apply step ``t`` with learning rate ``lr``; return True if any
        element was skipped as non-finite."""
        raise NotImplementedError

    def _on_nonfinite(self, grad, t):
        """Called after a step that skipped non-finite elements."""

    def _check_state(self, state):
        """Raise ``ValueError`` if loaded state arrays hold impossible values."""

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
        self._lr = check_real("lr", value, low=0.0, high=math.inf, high_open=True)

    @property
    def lr_schedule(self):
        """The learning-rate schedule, or None for a constant ``lr``."""
        return self._schedule

    @lr_schedule.setter
    def lr_schedule(self, schedule):
        if schedule is not None and not callable(schedule):
            raise TypeError(f"lr_schedule must be callable t -> lr, got {schedule!r}")
        self._schedule = schedule

    @property
    def hyperparameters(self):
        """A copy of the hyperparameters (without ``lr``)."""
        return dict(self._hyper)

    @property
    def state(self):
        """The state arrays by name (live arrays: do not resize them)."""
        return dict(self._state)

    def _lr_at(self, t):
        if self._schedule is None:
            return self._lr
        return self._checked_lr(self._schedule(t), t)

    @staticmethod
    def _checked_lr(lr, t):
        """``lr``, the schedule's value at step ``t``, checked as a float."""
        try:
            return check_real("lr_schedule(t)", lr, low=0.0, high=math.inf,
                              high_open=True)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{err} (at step t={t})") from None

    def _lr_table(self, first, stop):
        """Learning rates of steps ``first, ..., stop - 1``, a checked float64 array.

        What ``_lr_at`` gives step by step, with the schedule called once
        per step.  The values are checked in bulk when every one is a plain
        float (a few ns per step instead of ~0.4 µs); otherwise, or when one
        is out of range, one by one, so that the error names the first bad
        step.
        """
        table, error = self._lr_prefix(first, stop)
        if error is not None:
            raise error
        return table

    def _lr_prefix(self, first, stop):
        """``(table, error)``: the rates of steps ``first, ...`` up to the first failure.

        ``table`` holds the checked rates of steps ``first, ...,
        first + len(table) - 1``; ``error`` is None when that reaches
        ``stop - 1``, else the exception the schedule raised (or the
        ``TypeError``/``ValueError`` of a bad rate) at step ``first +
        len(table)``.  The schedule is called once per step, and not past a
        step that raised.  ``KeyboardInterrupt`` propagates.
        """
        if self._schedule is None:
            return np.full(max(stop - first, 0), self._lr), None
        schedule = self._schedule
        values = []
        append = values.append
        error = None
        try:
            for t in range(first, stop):
                append(schedule(t))
        except Exception as err:
            error = err
        if set(map(type, values)) <= {float}:
            table = np.array(values, dtype=np.float64)
            if ((table >= 0.0) & (table < math.inf)).all():   # NaN fails too
                return table, error
        checked = []
        for t, lr in zip(range(first, stop), values):
            try:
                checked.append(self._checked_lr(lr, t))
            except (TypeError, ValueError) as err:
                return np.array(checked, dtype=np.float64), err
        return np.array(checked, dtype=np.float64), error

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
        grad = check_grad(grad, self._params, overlap=self._grad_overlap_check)
        if not self._params.flags.writeable:
            # made read-only after construction: the step cannot update it
            raise ValueError("params must be writeable (it is updated in place), but it "
                             "was made read-only after the optimizer was created")
        t = self._t + 1
        lr = self._lr_at(t)
        bad = self._update(grad, lr, t)
        self._t = t
        if bad:
            self._on_nonfinite(grad, t)

    def _adopt_state(self, buffers):
        """Move state arrays into caller-owned buffers (name -> array of the
        same shape and dtype), which then *are* the state.  adaopt.minimize
        packs the state into rows of one work array this way."""
        for name, buf in buffers.items():
            buf[...] = self._state[name]
            self._state[name] = buf
        self._configure()    # whatever the subclass cached of the state

    # -- checkpointing ---------------------------------------------------------

    def state_dict(self):
        """Return a checkpoint: step count, hyperparameters and state arrays.

        Every value is a copy and a plain scalar, string or array, so the dict
        can be stored with ``np.savez(path, **opt.state_dict())``; optional
        hyperparameters that are None are left out.  The schedule is code, not
        state: recreate the optimizer with the same schedule to resume.
        """
        sd = {"optimizer": type(self).__name__, "step": self._t, "lr": self._lr}
        for name, value in self._hyper.items():
            if value is not None:
                sd[name] = value
        for name in self.state_names:
            # A state array these hyperparameters do not use is an empty
            # placeholder (a parameter vector is never empty): leave it out.
            if self._state[name].size:
                sd[name] = self._state[name].copy()
        return sd

    def load_state_dict(self, state_dict):
        """Restore a checkpoint made by :meth:`state_dict`.

        Accepts the dict itself or what ``np.load`` returns for a file written
        with ``np.savez(path, **opt.state_dict())``.  Everything is checked
        before anything changes; the parameter vector itself is not part of
        the checkpoint (save it alongside).
        """
        sd = {key: _plain(state_dict[key]) for key in state_dict.keys()}
        kind = sd.pop("optimizer", type(self).__name__)
        if kind != type(self).__name__:
            raise ValueError(f"state_dict['optimizer'] is {kind!r}: a checkpoint of "
                             f"another optimizer, not {type(self).__name__}")
        known = {"step", "lr", *self.hyperparameter_defaults, *self.state_names}
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
        lr = check_real("state_dict['lr']", sd["lr"], low=0.0, high=math.inf,
                        high_open=True)
        # The hyperparameters are checked first: they decide which state
        # arrays the checkpoint must hold.
        hyper = self._check_hyperparameters(
            {name: sd.get(name, default)
             for name, default in self.hyperparameter_defaults.items()})
        fresh = self._init_state(self._params, hyper)
        for name in self.state_names:
            if name not in sd:
                if fresh[name].size:
                    raise ValueError(f"state_dict lacks key {name!r}, which these "
                                     "hyperparameters use")
                continue
            arr = np.asarray(sd[name])
            if arr.shape != fresh[name].shape or arr.dtype != fresh[name].dtype:
                raise ValueError(
                    f"state_dict[{name!r}] must have shape {fresh[name].shape} and "
                    f"dtype {fresh[name].dtype}, got {arr.shape} {arr.dtype}")
            fresh[name][...] = arr
        self._check_state(fresh)
        self._lr = lr
        self._hyper = hyper
        self._t = int(step)
        self._state = fresh
        self._configure()

    def __repr__(self):
        parts = [f"n={self._params.size}", f"dtype={self._params.dtype}"]
        if self._schedule is None:
            parts.append(f"lr={self._lr!r}")
        else:
            parts.append(f"lr_schedule={self._schedule!r}")
        for name, value in self._hyper.items():
            if value != self.hyperparameter_defaults.get(name):
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
