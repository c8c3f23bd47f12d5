"""adaopt.ParamLayout: named arrays laid end to end in one flat buffer."""

import numpy as np
import pytest

import adaopt
from adaopt import ParamLayout


def test_offsets_sizes_and_views_share_the_buffer():
    layout = ParamLayout({"W": (3, 2)}, b=(2,), s=4)
    assert layout.size == 3 * 2 + 2 + 4
    assert layout.shapes == {"W": (3, 2), "b": (2,), "s": (4,)}
    flat = np.arange(layout.size, dtype=np.float64)
    v = layout.views(flat)
    assert list(v) == ["W", "b", "s"]                 # layout order
    np.testing.assert_array_equal(v["W"], np.arange(6).reshape(3, 2))
    np.testing.assert_array_equal(v["b"], [6, 7])
    np.testing.assert_array_equal(v["s"], [8, 9, 10, 11])
    for view in v.values():
        assert np.shares_memory(view, flat) and view.flags.c_contiguous
    v["b"][:] = -1.0                                  # writing a view writes flat
    np.testing.assert_array_equal(flat[6:8], -1.0)
    flat[0] = 42.0                                    # and the other way round
    assert v["W"][0, 0] == 42.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_pack_and_dtype(dtype):
    layout = ParamLayout(W=(2, 2), b=(2,), dtype=dtype)
    z = layout.zeros()
    assert z.dtype == dtype and z.shape == (6,) and not z.any()
    arrays = {"b": np.array([5.0, 6.0]), "W": np.array([[1.0, 2.0], [3.0, 4.0]])}
    flat = layout.pack(arrays)
    assert flat.dtype == dtype
    np.testing.assert_array_equal(flat, [1, 2, 3, 4, 5, 6])
    out = layout.zeros()
    assert layout.pack(arrays, out=out) is out
    np.testing.assert_array_equal(out, flat)
    back = layout.views(flat)
    for name, arr in arrays.items():
        np.testing.assert_array_equal(back[name], arr)
        assert back[name].dtype == dtype


def test_one_optimizer_updates_every_array_in_place():
    layout = ParamLayout(W=(2, 3), b=(3,))
    flat = layout.zeros()
    p = layout.views(flat)
    opt = adaopt.RMSprop(flat, lr=0.1, rho=0.0, eps=0.0)
    grad = layout.pack({"W": np.ones((2, 3)), "b": -np.ones(3)})
    opt.step(grad)
    # rho = 0, eps = 0: each element moves by exactly lr against sign(g)
    np.testing.assert_array_equal(p["W"], -0.1)
    np.testing.assert_array_equal(p["b"], 0.1)


def test_repr():
    assert repr(ParamLayout(W=(3, 2), b=(2,))) == \
        "ParamLayout(W=(3, 2), b=(2,), dtype=float64)"


BAD_LAYOUTS = [
    (lambda: ParamLayout(), ValueError, "at least one"),
    (lambda: ParamLayout({}), ValueError, "at least one"),
    (lambda: ParamLayout({"W": (2,)}, W=(3,)), ValueError, "'W'.*twice"),
    (lambda: ParamLayout({1: (2,)}), TypeError, "names"),
    (lambda: ParamLayout(W=(0, 2)), ValueError, "shape of 'W'"),
    (lambda: ParamLayout(W=(-1,)), ValueError, "shape of 'W'"),
    (lambda: ParamLayout(W=(2.0, 2)), ValueError, "shape of 'W'"),
    (lambda: ParamLayout(W=(True, 2)), ValueError, "shape of 'W'"),
    (lambda: ParamLayout(W=(2,), dtype=np.int64), TypeError, "dtype"),
    (lambda: ParamLayout(W=(2,), dtype=np.float16), TypeError, "dtype"),
]


@pytest.mark.parametrize("make, error, match", BAD_LAYOUTS,
                         ids=[str(i) for i in range(len(BAD_LAYOUTS))])
def test_bad_layouts(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_buffers_and_arrays():
    layout = ParamLayout(W=(2, 2), b=(2,))
    with pytest.raises(ValueError, match="6 elements"):
        layout.views(np.zeros(7))
    with pytest.raises(ValueError, match="6 elements"):
        layout.views(np.zeros((6, 1)))
    with pytest.raises(TypeError, match="flat"):
        layout.views([0.0] * 6)
    with pytest.raises(ValueError, match="C-contiguous"):
        layout.views(np.zeros(12)[::2])
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        layout.pack({"W": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"unexpected \['c'\]"):
        layout.pack({"W": np.ones((2, 2)), "b": np.ones(2), "c": 1.0})
    with pytest.raises(ValueError, match="'W' must have shape"):
        layout.pack({"W": np.ones(4), "b": np.ones(2)})
    with pytest.raises(ValueError, match="6 elements"):
        layout.pack({"W": np.ones((2, 2)), "b": np.ones(2)}, out=np.zeros(5))
    out = layout.zeros()
    with pytest.raises(ValueError, match="'b' must have shape"):
        layout.pack({"W": np.ones((2, 2)), "b": np.ones(3)}, out=out)
    assert not out.any()                     # nothing written before the check


def test_failed_pack_leaves_out_untouched():
    # the second array cannot be converted: nothing of ``out`` is written,
    # not even the first array's part
    layout = ParamLayout(W=(2, 2), b=(2,))
    out = np.full(layout.size, 7.0)
    with pytest.raises(ValueError):
        layout.pack({"W": np.ones((2, 2)), "b": np.array(["x", "y"])}, out=out)
    np.testing.assert_array_equal(out, 7.0)
    # a read-only ``out`` is refused before anything is converted
    frozen = np.full(layout.size, 7.0)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        layout.pack({"W": np.ones((2, 2)), "b": np.ones(2)}, out=frozen)
    np.testing.assert_array_equal(frozen, 7.0)
