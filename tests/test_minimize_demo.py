"""Point 10 of issue 3: ``python -m adaopt`` demonstrates minimize."""

from adaopt.__main__ import main


def test_demo_shows_progress_summary_and_the_minimum(capsys):
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["iter", "f", "|g|_inf", "iter/s"]
    progress = [line.split() for line in lines[3:13]]
    assert [int(row[0]) for row in progress] == list(range(0, 20000, 2000))
    assert float(progress[0][1]) == 24.2          # f(-1.2, 1)
    assert lines[13] == "Optimization terminated successfully: gradient norm <= gtol."
    assert lines[15].split()[0] == "Iterations:"
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
    assert f"from {demo.LR} to 0 over {demo.STEPS} steps" in intro
    assert "cosine_decay" in intro and "every 2000 iterations" in intro
