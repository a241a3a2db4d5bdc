"""Sphinx configuration of the localpairs documentation.

Build (from the repository root, after ``python -m pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``-W`` turns every warning into an error; references to the package's own objects are checked
(nitpicky), references to other projects resolve through the offline inventories in
``docs/_intersphinx/`` (CI reaches no documentation site) and are not checked otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import localpairs  # noqa: E402  (after the path set-up above)

project = "localpairs"
author = "the localpairs developers"
copyright = "2026, the localpairs developers"
release = localpairs.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "spec_keys",
    "plain_bars",
    "reexports",
    "modules_first",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_intersphinx", "examples/README.txt"]
templates_path = ["_templates"]
html_theme = "furo"
html_title = f"localpairs {release}"
html_static_path: list[str] = []

# A reader online gets MathJax from its CDN (Sphinx's default); a local check without network
# can point this at a packaged copy (Debian: file:///usr/share/javascript/mathjax/MathJax.js).
if os.environ.get("LOCALPAIRS_DOCS_MATHJAX"):
    mathjax_path = os.environ["LOCALPAIRS_DOCS_MATHJAX"]

# Docstrings: numpy style through napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autosummary_generate = True
autosummary_imported_members = False

# References: the package's own objects are checked; everything else resolves through
# intersphinx where an offline inventory holds it and is otherwise left as plain text.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!localpairs\b).*"),  # other projects: linked where an inventory has them, else plain text
    (r"py:.*", r".*\._[A-Za-z]\w*"),  # private helpers named in type hints (e.g. validators)
]
intersphinx_mapping = {
    name: (url, str(HERE / "_intersphinx" / f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "xarray": "https://docs.xarray.dev/en/stable/",
        "quspin": "https://quspin.github.io/QuSpin/",
    }.items()
}
intersphinx_timeout = 1

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",  # plot_01_… first: from the dimer to the sweep
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
}

myst_heading_anchors = 2
