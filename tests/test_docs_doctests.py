"""The interactive examples (``>>>``) in the documentation pages run and print what the pages say.

Docstring examples run through ``--doctest-modules``; the guides in docs/ are
not Python modules, so their examples are checked here.
"""

import doctest
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.rst")
               if "_build" not in p.parts and "generated" not in p.parts
               and "auto_examples" not in p.parts and ">>>" in p.read_text())


def test_some_pages_have_examples():
    assert PAGES, f"no page under {DOCS} has a >>> example"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page.name}"
