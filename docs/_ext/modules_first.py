"""autosummary: a dotted name that is a module of the package means the module.

``localpairs.solvers`` re-exports the function ``spectra`` and ``localpairs.hamiltonians`` the
factory ``oxygen_lattice``, each named like the module that holds it. autosummary's importer
tries ``PARENT.ATTRIBUTE`` first and would document the function in place of the module. This
extension wraps ``sphinx.ext.autosummary._import_by_name`` so that a name under ``localpairs``
that is an importable module resolves to that module; everything else goes the usual way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

from sphinx.application import Sphinx
from sphinx.ext import autosummary


def _is_module(name: str) -> bool:
    if not name.startswith("localpairs"):
        return False
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def setup(app: Sphinx) -> dict[str, Any]:
    original = autosummary._import_by_name

    def import_modules_first(name: str, grouped_exception: bool = True) -> tuple[Any, Any, str]:
        if _is_module(name):
            importlib.import_module(name)
            return sys.modules[name], None, name
        return original(name, grouped_exception)

    autosummary._import_by_name = import_modules_first
    return {"parallel_read_safe": True, "parallel_write_safe": True}
