"""Sphinx configuration of the adaopt documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` from the
repository root (after ``python -m pip install ".[docs]"``).  Everything
builds offline: no intersphinx inventories, no downloaded assets.  The
examples in ``docs/examples`` run during the build (sphinx-gallery) and their
figures are made by matplotlib with the non-interactive Agg backend.
"""

import os
import sys

# Document the working tree's adaopt even when another copy is installed.
sys.path.insert(0, os.path.abspath(".."))

import matplotlib

matplotlib.use("Agg")

import adaopt  # noqa: E402

project = "adaopt"
author = "the adaopt developers"
copyright = "2026, the adaopt developers"
version = release = adaopt.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "examples/GALLERY_HEADER.rst"]
default_role = "autolink"
nitpicky = False

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
# Class pages list their members through the autosummary class template;
# numpydoc's own member tables would repeat them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# Docstrings name options inside \text{...} (e.g. ``\text{clip\_value}``);
# MathJax's textmacros package makes \_ render as an underscore there.  The
# same configuration works for MathJax 3 (Sphinx < 9) and 4 (Sphinx 9).
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}

# -- figures --------------------------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (6.4, 4.0), "figure.dpi": 100}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # every example must run: a failing example fails the build
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "plot_gallery": True,
}

# -- HTML -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"adaopt {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_css_files = ["custom.css"]
# Pages without sub-pages get no (empty) left sidebar, and so more width.
html_sidebars = {page: [] for page in
                 ("index", "getting_started", "theory", "compatibility", "reliability")}
html_show_sourcelink = False


# -- every public name must appear in the API reference -------------------------
def _public_names():
    """Fully qualified names of everything adaopt exports."""
    names = set()
    for name in adaopt.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(adaopt, name)
        if isinstance(obj, type(sys)):  # a public submodule: its own __all__
            names.add(obj.__name__)
            names.update(f"{obj.__name__}.{sub}" for sub in getattr(obj, "__all__", ()))
        else:
            names.add(f"adaopt.{name}")
    return names


def _check_api_coverage(app, env):
    from sphinx.util import logging

    documented = set(env.get_domain("py").objects)
    missing = sorted(_public_names() - documented)
    if missing:
        logging.getLogger("adaopt.docs").warning(
            "public names missing from the API reference (docs/api.rst): %s",
            ", ".join(missing))


def setup(app):
    app.connect("env-check-consistency", _check_api_coverage)
