"""adaopt._borrow: arrays without a reference count inside compiled code."""

import numba
import numpy as np
import pytest

from adaopt._borrow import borrowed


@numba.njit
def _write_through_borrowed_rows(W):
    B = borrowed(W)
    for r in range(B.shape[0]):
        row = B[r]                  # a view of a borrowed array: borrowed too
        for i in range(row.shape[0]):
            row[i] = 10.0 * r + i
    return B.shape[0] * B.shape[1], B.strides[0]


def test_borrowed_array_is_the_same_memory_shape_and_strides():
    W = np.zeros((3, 4))
    size, stride = _write_through_borrowed_rows(W)
    assert (size, stride) == (12, 32)
    np.testing.assert_array_equal(W, 10.0 * np.arange(3)[:, None] + np.arange(4))


def test_borrowed_of_a_strided_view_keeps_its_strides():
    base = np.zeros((3, 8))
    view = base[:, ::2]
    _write_through_borrowed_rows(view)
    np.testing.assert_array_equal(view, 10.0 * np.arange(3)[:, None] + np.arange(4))
    np.testing.assert_array_equal(base[:, 1::2], 0.0)


def test_borrowed_rejects_what_is_not_an_array():
    @numba.njit
    def borrow_a_number(x):
        return borrowed(x)

    with pytest.raises(numba.core.errors.TypingError):
        borrow_a_number(1.0)
