"""Docstrings write kets and absolute values as text (``|ψ⟩``, ``|A − B|``): keep them text.

reStructuredText reads ``|word|`` as a substitution reference. The package's docstrings are
written for ``help()`` and the terminal, where ``|⟨ψ0|ψ⟩|²`` is the natural notation; this
``autodoc-process-docstring`` hook escapes every ``|`` outside inline literals, roles (such as
``:math:`|x|```) and ``.. math::`` blocks, so the rendered page shows what the docstring says.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx

#: Inline literals, roles with their content and interpreted text: left untouched.
_PROTECTED = re.compile(r"(``.+?``|:[\w:.-]+:`[^`]*`|`[^`]*`_{0,2})")


def _escape(line: str) -> str:
    parts = _PROTECTED.split(line)
    return "".join(part if k % 2 else part.replace("|", r"\|") for k, part in enumerate(parts))


def escape_bars(lines: list[str]) -> None:
    """Escape ``|`` in ``lines`` in place, outside literals, roles and math blocks."""
    block_indent: int | None = None
    for k, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if stripped and indent <= block_indent:
                block_indent = None
            else:
                continue
        if stripped.startswith((".. math::", ".. code-block::", ".. code::")) or stripped.endswith("::"):
            block_indent = indent
            if stripped.startswith(".."):
                continue
        lines[k] = _escape(line)


def _hook(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    escape_bars(lines)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _hook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
