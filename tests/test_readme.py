"""The README's Python examples run and do what their comments say.

Each ``python`` block runs from a file (so that ``@numba.njit(cache=True)``
has a source file to cache against) in one namespace per block; the checks
below read the results from that namespace rather than parsing the printed
text.
"""

import re
import runpy
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def run_block(index, tmp_path):
    path = tmp_path / f"readme_block_{index}.py"
    path.write_text(BLOCKS[index], encoding="utf-8")
    return runpy.run_path(str(path), run_name=f"readme_block_{index}")


def block_with(text):
    found = [i for i, b in enumerate(BLOCKS) if text in b]
    assert len(found) == 1, f"one README block should contain {text!r}, found {found}"
    return found[0]


def test_readme_has_its_three_examples():
    assert len(BLOCKS) == 3


def test_training_loop_example(tmp_path, capsys):
    ns = run_block(block_with("adaopt.RMSprop(x"), tmp_path)
    np.testing.assert_array_equal(ns["x"].round(4), [3.3808, 3.3808])


def test_minimize_example(tmp_path, capsys):
    ns = run_block(block_with("method=adaopt.rmsprop"), tmp_path)
    assert ns["res"].status == 0 and ns["res"].success
    assert np.abs(ns["res"].x - 1.0).max() < 1e-4


def test_jitted_example_converges_as_printed(tmp_path, capsys):
    # (the block's cache=True objective caches beside its file, in tmp_path)
    ns = run_block(block_with("multistart"), tmp_path)
    res, best = ns["res"], ns["best"]
    assert res.success and res.nit == 1144
    np.testing.assert_allclose(res.x, [1.00001, 1.00001], atol=5e-6)
    assert (best.statuses == 0).sum() == 64 and best.success
    np.testing.assert_allclose(best.x, [0.99999, 0.99999], atol=5e-6)
    printed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert printed[0][:2] == ["True", "1144"] and printed[1][0] == "64"
