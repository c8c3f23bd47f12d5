"""Point 10 of issue 3: ``python -m adaopt`` demonstrates minimize."""

from adaopt.__main__ import main


def test_demo_shows_progress_summary_and_the_minimum(capsys):
    from adaopt import demo
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["iter", "f", "|g|_inf", "lr", "iter/s"]
    end = lines.index("Optimization terminated successfully: gradient norm <= gtol.")
    progress = [line.split() for line in lines[3:end]]
    # default options converge at iteration 1144 (README, docs/guide/minimize.rst)
    assert lines[end + 2].split() == ["Iterations:", "1144"]
    assert [int(row[0]) for row in progress] == list(range(0, 1144, demo.PROGRESS_EVERY))
    assert float(progress[0][1]) == 24.2          # f(-1.2, 1)
    assert float(progress[0][3]) == 1e-3          # the first step takes lr
    err = float(lines[-1].rsplit("=", 1)[1])
    assert err < 1e-4


def test_getting_started_describes_the_demo_that_runs():
    """docs/getting_started.rst says what ``python -m adaopt`` does."""
    from pathlib import Path

    from adaopt import demo
    from adaopt.problems import Rosenbrock

    page = (Path(__file__).resolve().parents[1] / "docs" / "getting_started.rst").read_text()
    intro = " ".join(page.split("A first training loop")[0].split())
    x0 = Rosenbrock(2).x0
    assert "Rosenbrock" in intro and ":func:`adaopt.minimize`" in intro
    assert f":math:`({x0[0]}, {x0[1]:g})`" in intro
    assert "default options" in intro and "bold_driver" in intro
    assert f"every {demo.PROGRESS_EVERY} iterations" in intro and "1144" in intro
