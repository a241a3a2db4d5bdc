"""Every public definition of the package has a numpy-style docstring (issue 15), checked by numpydoc.

What is walked: every module of ``localpairs``, ``localpairs.hamiltonians``, ``localpairs.solvers``
and ``localpairs.analysis`` (with their sub-packages); in each, the public functions and classes
*defined there* (a name not starting with ``_`` whose ``__module__`` is that module; re-exports
are checked where they are defined), and the public methods, static/class methods and properties
of those classes (members of the class's own ``__dict__``, not inherited ones).

What is checked: numpydoc 1.11's :func:`numpydoc.validate.validate`, restricted to

- GL08 no docstring; SS01 no summary, SS02 summary not capitalised, SS03 summary without a
  final period;
- PR01 a parameter not documented, PR02 a documented parameter the signature does not have;
- RT01 no ``Returns`` section where something is returned;
- GL06 an unknown section name, GL07 sections out of numpydoc's order (both cheap to satisfy and
  both catch a napoleon rendering that silently drops a section).

The other codes (extended summary, ``See Also``, ``Examples``, infinitive-verb summaries, …)
are style advice, not correctness, and are not enforced.

Policy where numpydoc's defaults do not fit the package:

- **Constructors** are documented in the class docstring (numpydoc's convention); ``__init__``
  itself is private and not walked. PR01/PR02 of a class check its constructor's parameters.
- **Dataclasses** are records: their fields are the constructor's parameters, and an
  ``Attributes`` section documenting them satisfies PR01 (a ``Parameters`` section does too; PR02
  still refuses a ``Parameters`` entry the constructor does not have).
- **Named tuples** document their fields under ``Parameters`` (numpydoc's PR01 on the fields):
  autodoc lists a named tuple's fields itself, so napoleon's ``.. attribute::`` entries of an
  ``Attributes`` section would describe them twice and fail the ``-W`` docs build.
- **Pydantic spec models** document each field with an attribute docstring under the field (the
  guide's spec-key tables are generated from them and ``tests/test_spec_docs.py`` fails on a key
  without one), so they are exempt from PR01; GL08 and the summary codes still apply.
- **Classes whose constructor is inherited from outside the package** (exceptions, warnings,
  protocols) have no parameters of ours to document: PR01 is not applied.
- **Properties** are documented like attributes: a summary (GL08/SS codes); no ``Parameters``
  or ``Returns`` section is asked for.
- **Returns**: a function or method needs a ``Returns`` (or, for a generator, ``Yields``)
  section when its return annotation says it returns something (anything but ``None``,
  ``NoReturn``, ``Never``); a function returning ``None`` needs none. Without a return annotation
  numpydoc's reading of the source decides (a ``return`` with a value). Wrapped functions
  (decorators with ``functools.wraps``) are checked through ``__wrapped__``.
- **Overloads** (``typing.overload``) are checked once, on the implementation the module holds:
  its docstring documents the parameters of every signature, and its return annotation decides
  RT01 as above.

Every module is enforced: there is no list of exceptions (the conversion finished in one session;
a module that fails is a defect of the change that introduced it).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any, NamedTuple

from numpydoc.docscrape import get_doc_object
from numpydoc.validate import validate
from pydantic import BaseModel

PACKAGES = ("localpairs", "localpairs.hamiltonians", "localpairs.solvers", "localpairs.analysis")
CODES = frozenset({"GL06", "GL07", "GL08", "SS01", "SS02", "SS03", "PR01", "PR02", "RT01"})
NO_RETURN = frozenset({"None", "NoReturn", "Never", "typing.NoReturn", "typing.Never"})


def _modules() -> list[Any]:
    modules = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules.append(package)
        modules += [importlib.import_module(info.name) for info in pkgutil.walk_packages(package.__path__, name + ".")]
    return list({module.__name__: module for module in modules}.values())


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            yield name, member.__func__
        elif isinstance(member, (property, functools.cached_property)) or inspect.isfunction(member):
            yield name, member


def public_definitions(module: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``(qualified name, object)`` for the public definitions of ``module`` (see the module docstring)."""
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        yield f"{module.__name__}.{name}", obj
        if inspect.isclass(obj):
            for member_name, member in _members(obj):
                yield f"{module.__name__}.{name}.{member_name}", member


def _is_named_tuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _own_constructor(cls: type) -> bool:
    """Whether the constructor's parameters are the package's to document."""
    init = next((c.__dict__["__init__"] for c in cls.__mro__ if "__init__" in c.__dict__), None)
    return inspect.isfunction(init) and init.__module__.split(".")[0] == cls.__module__.split(".")[0]


def _names(section: list[Any]) -> set[str]:
    return {name.replace("\\", "").lstrip("*") for entry in section for name in entry.name.split(", ")}


def _needs_returns(func: Any) -> bool | None:
    """True/False from the return annotation, None when there is none (numpydoc decides)."""
    if "return" not in getattr(func, "__annotations__", {}):
        return None
    annotation = func.__annotations__["return"]
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))
    return text.strip() not in NO_RETURN and annotation is not None


def problems(obj: Any) -> list[str]:
    """Return the sorted numpydoc codes of :data:`CODES` that ``obj``'s docstring fails, after the policy."""
    if inspect.isfunction(obj):
        obj = inspect.unwrap(obj)
    doc = get_doc_object(obj)
    codes = {code for code, _ in validate(doc)["errors"]} & CODES
    if not obj.__doc__:
        return sorted(codes)
    if inspect.isclass(obj):
        if issubclass(obj, BaseModel):
            codes.discard("PR01")
        elif dataclasses.is_dataclass(obj) and "PR01" in codes:
            documented = _names(doc["Parameters"]) | _names(doc["Other Parameters"]) | _names(doc["Attributes"])
            if set(inspect.signature(obj).parameters) <= documented:
                codes.discard("PR01")
        elif not _is_named_tuple(obj) and not _own_constructor(obj):
            codes.discard("PR01")
    elif inspect.isfunction(obj):
        needs = _needs_returns(obj)
        if needs is not None:
            codes.discard("RT01")
            if needs and not (doc["Returns"] or doc["Yields"]):
                codes.add("RT01")
    return sorted(codes)


@functools.cache
def _report() -> dict[str, dict[str, list[str]]]:
    """Module name → {qualified name → failing codes} for every walked module (failures only)."""
    report: dict[str, dict[str, list[str]]] = {}
    for module in _modules():
        failures = {name: codes for name, obj in public_definitions(module) if (codes := problems(obj))}
        report[module.__name__] = failures
    return report


def test_public_docstrings_are_numpy_style():
    failures = [
        f"{name}: {', '.join(codes)}"
        for module, found in sorted(_report().items())
        for name, codes in sorted(found.items())
    ]
    assert not failures, "numpydoc finds (GL08 none, SS summary, PR01/PR02 parameters, RT01 returns, GL06/GL07 sections):\n" + "\n".join(failures)


# --- the check can fail: deliberately bad and good definitions ---------------------------------


def _bad(x, y=1):
    """compute something"""
    return x + y


def _good(x: float, *, scale: float = 1.0) -> float:
    """Scale an energy.

    Parameters
    ----------
    x : float
        Energy in eV.
    scale : float
        Dimensionless factor.

    Returns
    -------
    float
        ``scale * x`` in eV.
    """
    return scale * x


def _wrong_parameter(x: float) -> None:
    """Do nothing.

    Parameters
    ----------
    y : float
        Not a parameter.

    Notes
    -----
    Misplaced.

    Returns
    -------
    None
    """


def _returns_none(x: float) -> None:
    """Log an energy.

    Parameters
    ----------
    x : float
        Energy in eV.
    """


def _annotated_without_returns(x: float) -> float:
    """Double an energy.

    Parameters
    ----------
    x : float
        Energy in eV.
    """
    return 2 * x


@dataclasses.dataclass
class _Record:
    """A record.

    Attributes
    ----------
    energy : float
        Energy in eV.
    time : float
        Time in fs.
    """

    energy: float
    time: float

    @property
    def rate(self) -> float:
        """Energy per time, eV/fs."""
        return self.energy / self.time


@dataclasses.dataclass
class _HalfRecord:
    """A record missing a field.

    Attributes
    ----------
    energy : float
        Energy in eV.
    """

    energy: float
    time: float


class _Spec(BaseModel):
    """A spec section."""

    width: float = 0.2
    """Half width in eV."""


class _UndocumentedSpec(BaseModel):
    width: float = 0.2


class _Pair(NamedTuple):
    """Two energies.

    Parameters
    ----------
    low, high : float
        Energies in eV.
    """

    low: float
    high: float


class _PairWithAttributes(NamedTuple):
    """Two energies, fields documented as attributes (twice in the docs, next to autodoc's).

    Attributes
    ----------
    low, high : float
        Energies in eV.
    """

    low: float
    high: float


def test_a_bad_docstring_fails():
    assert problems(_bad) == ["PR01", "RT01", "SS02", "SS03"]
    assert problems(_wrong_parameter) == ["GL07", "PR01", "PR02"]
    assert problems(_annotated_without_returns) == ["RT01"]
    assert problems(_HalfRecord) == ["PR01"]
    assert problems(_UndocumentedSpec) == ["GL08"]
    assert problems(_PairWithAttributes) == ["PR01"]


def test_a_good_docstring_passes():
    for obj in (_good, _returns_none, _Record, _Record.rate, _Spec, _Pair):
        assert problems(obj) == [], obj


def test_the_walk_finds_methods_and_properties_defined_in_the_module():
    import localpairs.studies.checkpoints as checkpoints
    import localpairs.studies.pump_spec as pump_spec

    names = dict(public_definitions(checkpoints)) | dict(public_definitions(pump_spec))
    assert {"localpairs.studies.checkpoints.Checkpoints.save", "localpairs.studies.pump_spec.PumpSpec.end_time"} <= set(names)
    assert isinstance(names["localpairs.studies.pump_spec.PumpSpec.end_time"], property)
    # re-exported names (imported from elsewhere) are not walked here
    assert not any(name.endswith(".XasSettings") for name in names)
