"""The repository stands alone: nothing in it reads a folder beside the checkout.

A user's clone has nothing next to it; a test, a doc build or a benchmark
that reads a sibling folder (the project's starting documents lived in one)
passes in the development tree and fails everywhere else.  ``.ci/run``
proves the same by running the suite in a copy with nothing beside it; this
test names the offending file at once.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A path that climbs out of the checkout into a sibling folder, or names
#: the development tree's one.  (Spelled in pieces so that this file does
#: not match itself.)
OUTSIDE = re.compile(r"\.\./(?:\.\./)*" r"shared|/work/" r"shared|parents\[[2-9]\]")


def tracked_text_files():
    """The files git tracks (the whole tree when this is not a git checkout)."""
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split()
        files = [ROOT / n for n in names]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    suffixes = {".py", ".rst", ".md", ".toml", ".json", ".cfg", ".txt", ""}
    return [p for p in files if p.suffix in suffixes and p.is_file()]


def test_no_file_reads_outside_the_repository():
    offenders = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_seed_tables_are_in_the_repository(seed_file):
    for prefix in ("000", "001", "003"):
        path = seed_file(prefix)
        assert ROOT in path.parents
        assert "Epoch 10" in path.read_text(encoding="utf-8")
