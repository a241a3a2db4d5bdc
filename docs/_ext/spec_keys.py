"""Sphinx directive ``spec-keys``: the keys of a run-spec section as a table, from its pydantic schema.

Usage in a page::

    .. spec-keys:: localpairs.spec.ClusterSpec
       :section: cluster

One table per section (key, type and allowed values, default, meaning), then one per sub-table
(a field whose type is itself a spec section, e.g. ``[xfel.fit]``; :mod:`localpairs.spec_schema`), so the guide is generated
from the same classes ``localpairs check`` validates with and cannot drift from them. The
meaning of a key is its field description (the attribute docstring written under the field in
the spec class); ``tests/test_spec_docs.py`` fails when a key has none.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from plain_bars import escape_bars  # the same rule as for docstrings: |x| is text, not a substitution
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from localpairs.spec_schema import SpecKey, section_keys, spec_sections


def _table(rows: list[SpecKey]) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 18 30 14 38", "", "   * - key", "     - type (allowed)", "     - default",
             "     - meaning"]
    for row in rows:
        meaning = [row.meaning]
        escape_bars(meaning)
        lines += [f"   * - ``{row.key}``", f"     - ``{row.type}``", f"     - ``{row.default}``", f"     - {meaning[0]}"]
    return lines


class SpecKeys(SphinxDirective):
    """The ``spec-keys`` directive (module docstring)."""

    required_arguments = 1
    option_spec = {"section": directives.unchanged_required, "no-subsections": directives.flag}  # noqa: RUF012  (docutils' API)

    def run(self) -> list[nodes.Node]:
        module_name, _, class_name = self.arguments[0].rpartition(".")
        model = getattr(importlib.import_module(module_name), class_name)
        lines: list[str] = []
        found = spec_sections(model, self.options["section"])
        for section, sub in found[:1] if "no-subsections" in self.options else found:
            lines += [f".. rubric:: [{section}]", "", *_table(section_keys(sub)), ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("spec-keys", SpecKeys)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
