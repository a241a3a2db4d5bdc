"""References to a re-exported name resolve to the object where it is defined.

``localpairs.hamiltonians`` and ``localpairs.solvers`` re-export their main entry points
(``localpairs.solvers.solve`` is :func:`localpairs.solvers.ed.eigensolve.solve`). The API reference
documents each object once, in its defining module; this ``missing-reference`` handler maps a
reference through the re-export (``obj.__module__`` + ``obj.__qualname__``) and resolves it there,
so docstrings may use either name and a truly missing target still warns.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def canonical_name(target: str) -> str | None:
    """``module.qualname`` of the object ``target`` names through a re-export, or None."""
    module_name, _, attr = target.rpartition(".")
    if not module_name.startswith("localpairs"):
        return None
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname:
        return None
    name = f"{module}.{qualname}"
    return name if name != target else None


def _resolve(app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement) -> nodes.reference | None:
    if node.get("refdomain") != "py":
        return None
    name = canonical_name(node["reftarget"])
    if name is None:
        return None
    node = node.deepcopy()
    node["reftarget"] = name
    return env.domains["py"].resolve_xref(env, node["refdoc"], app.builder, node["reftype"], name, node, contnode)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", _resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
