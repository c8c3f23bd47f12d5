"""docs/reliability.rst names, for each guarantee, the test that checks it:
every name it gives must be a test file or a test of this suite, so that a
renamed or deleted test cannot leave a guarantee unchecked."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PAGE = TESTS.parent / "docs" / "reliability.rst"

#: Names the page cites that are not ours (scipy's own test file).
FOREIGN = {"test_optimize.py"}


def defined_tests():
    names = set()
    for path in TESTS.glob("test_*.py"):
        names.update(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    return names


def cited():
    text = PAGE.read_text(encoding="utf-8")
    return sorted(set(re.findall(r"``((?:\.\.\.|test_)[\w:.*]*)``", text)) - FOREIGN)


def test_every_cited_test_exists():
    tests, files = defined_tests(), {p.stem for p in TESTS.glob("test_*.py")}
    names = cited()
    assert len(names) > 20
    missing = []
    for name in names:
        module, _, func = name.rpartition("::")
        if module and module not in files:
            missing.append(name)
            continue
        if func in files:
            continue
        if func.startswith("..."):          # "..._suffix": a test ending so
            ok = any(t.endswith(func[3:]) for t in tests)
        elif func.endswith("*"):            # "test_prefix_*": some test so named
            ok = any(t.startswith(func[:-1]) for t in tests)
        else:
            ok = func in tests
        if not ok:
            missing.append(name)
    assert not missing, missing
