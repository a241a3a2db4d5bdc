"""Experimental reference numbers for BaBiO₃, as data with citations.

The numbers live in the package data file ``data/xfel_babio3.toml`` (next to this module); this
module only loads and validates them. Sources: the EuXFEL time-resolved O K-edge XAS experiment
(Menushenkov et al., Phys. Rev. Research 6, 023307 (2024)) as summarised in the review by
Menushenkov & Kagan, Usp. Fiz. Nauk 196(1), 29 (2026), doi:10.3367/UFNe.2025.09.040028, and the
double-well parameters that the review quotes from Menushenkov & Klementev (2000).

Examples
--------
>>> ref = load_reference()
>>> ref["tau3"].value, ref["tau3"].unit
(1.5, 'ps')
>>> ref.citation("tau3").startswith("A. P. Menushenkov and M. Yu. Kagan")
True
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from localpairs.errors import InputError, LocalPairsError

#: Name of the packaged data file (inside ``localpairs.analysis/data``).
REFERENCE_FILE = "xfel_babio3.toml"

Value = float | tuple[float, ...]


@dataclass(frozen=True)
class Source:
    """A bibliographic source: a short key, the full citation and what it is used for.

    Attributes
    ----------
    key : str
        Short key quantities refer to.
    citation : str
        The full citation.
    role : str
        What the source is used for.
    """

    key: str
    citation: str
    role: str


@dataclass(frozen=True)
class Quantity:
    """One reference number with its unit and provenance.

    Attributes
    ----------
    name
        Key of the quantity (e.g. ``"tau1"``).
    value
        A float, or a tuple of floats for lists (delays) and ranges ``(low, high)``.
    unit
        Unit of ``value``; ``""`` for dimensionless numbers.
    source
        The :class:`Source` the number is taken from.
    where
        Location in the source (section, figure, equation).
    note
        Remarks (approximations, caveats); may be empty.
    """

    name: str
    value: Value
    unit: str
    source: Source
    where: str
    note: str = ""

    @property
    def citation(self) -> str:
        """Full citation string of the source."""
        return self.source.citation

    @property
    def number(self) -> float:
        """``value`` as one number; an :class:`InputError` naming the quantity when it is a list or range."""
        if isinstance(self.value, tuple):
            raise InputError(f"reference {self.name}", self.value, "a single number (this quantity is a list or a range)")
        return float(self.value)


@dataclass(frozen=True)
class Reference(Mapping[str, Quantity]):
    """Read-only mapping ``name -> Quantity`` plus the table of sources.

    Parameters
    ----------
    quantities : Mapping of str to Quantity
        The reference numbers by name.
    sources : Mapping of str to Source
        The sources by key.
    """

    quantities: Mapping[str, Quantity]
    sources: Mapping[str, Source]

    def __getitem__(self, name: str) -> Quantity:
        try:
            return self.quantities[name]
        except KeyError:
            raise InputError("name", name, f"one of {sorted(self.quantities)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.quantities)

    def __len__(self) -> int:
        return len(self.quantities)

    def value(self, name: str) -> Value:
        """Return only the value of quantity ``name``.

        Parameters
        ----------
        name : str
            The quantity's name.

        Returns
        -------
        float or tuple of float
            Its value, in the quantity's unit.
        """
        return self[name].value

    def citation(self, name: str) -> str:
        """Return the citation string of quantity ``name``.

        Parameters
        ----------
        name : str
            The quantity's name.

        Returns
        -------
        str
            The full citation of its source.
        """
        return self[name].citation


def _as_value(name: str, raw: object) -> Value:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, list)):
        raise LocalPairsError(f"{REFERENCE_FILE}: quantities.{name}.value = {raw!r} is not a number or list")
    if isinstance(raw, list):
        if not raw or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            raise LocalPairsError(f"{REFERENCE_FILE}: quantities.{name}.value = {raw!r} must be a list of numbers")
        return tuple(float(v) for v in raw)
    return float(raw)


def parse_reference(data: Mapping[str, object]) -> Reference:
    """Build a :class:`Reference` from the parsed TOML document ``data``.

    Parameters
    ----------
    data : Mapping of str to object
        The document with tables ``[sources.*]`` and ``[quantities.*]``.

    Returns
    -------
    Reference
        The reference numbers.

    Raises
    ------
    LocalPairsError
        If a quantity lacks a field, names an unknown source or has a non-numeric value.
    """
    raw_sources = data.get("sources", {})
    raw_quantities = data.get("quantities", {})
    if not isinstance(raw_sources, dict) or not isinstance(raw_quantities, dict) or not raw_quantities:
        raise LocalPairsError(f"{REFERENCE_FILE}: needs tables [sources.*] and [quantities.*]")
    sources: dict[str, Source] = {}
    for key, entry in raw_sources.items():
        if not isinstance(entry, dict) or "citation" not in entry:
            raise LocalPairsError(f"{REFERENCE_FILE}: sources.{key} has no 'citation'")
        sources[key] = Source(key=key, citation=str(entry["citation"]), role=str(entry.get("role", "")))
    quantities: dict[str, Quantity] = {}
    for name, entry in raw_quantities.items():
        missing = [f for f in ("value", "unit", "source", "where") if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise LocalPairsError(f"{REFERENCE_FILE}: quantities.{name} lacks {missing}")
        if entry["source"] not in sources:
            raise LocalPairsError(
                f"{REFERENCE_FILE}: quantities.{name}.source = {entry['source']!r} is not one of {sorted(sources)}"
            )
        quantities[name] = Quantity(
            name=name,
            value=_as_value(name, entry["value"]),
            unit=str(entry["unit"]),
            source=sources[entry["source"]],
            where=str(entry["where"]),
            note=str(entry.get("note", "")),
        )
    return Reference(quantities=MappingProxyType(quantities), sources=MappingProxyType(sources))


@lru_cache(maxsize=1)
def load_reference() -> Reference:
    """Load the packaged experimental reference (``data/xfel_babio3.toml``).

    Returns
    -------
    Reference
        Frozen, read-only mapping from quantity names (``"tau1"``, ``"alpha_at_8"``,
        ``"omega0"``, …) to :class:`Quantity` objects carrying value, unit and citation.
    """
    text = resources.files("localpairs.analysis").joinpath("data", REFERENCE_FILE).read_text(encoding="utf-8")
    return parse_reference(tomllib.loads(text))
