"""The run-spec schema as data: every section, its keys, their types, defaults and meanings.

Read by the documentation (the ``spec-keys`` directive of ``docs/_ext/spec_keys.py`` renders the
guide's key tables from it) and by ``tests/test_spec_docs.py`` (every key has a meaning). The
meaning of a key is the attribute docstring written under its field in the spec class
(``use_attribute_docstrings`` in :class:`localpairs.spec_base.Strict`).
"""

from __future__ import annotations

import types
import typing
from typing import Any, NamedTuple

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

#: Constraint attributes of pydantic's annotated-types metadata, with the symbol shown for each.
_BOUNDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"), ("min_length", "length ≥"), ("max_length", "length ≤"))


class SpecKey(NamedTuple):
    """One key of a spec section: its name, type (with allowed values), default and meaning.

    Parameters
    ----------
    key : str
        The key's name.
    type : str
        Readable type with its allowed values (:func:`type_text`).
    default : str
        The default as written in TOML (empty when the key is required).
    meaning : str
        The attribute docstring under the field.
    """

    key: str
    type: str
    default: str
    meaning: str


def section_classes(annotation: Any) -> list[type[BaseModel]]:
    """Return the spec-section classes inside an annotation.

    Parameters
    ----------
    annotation : Any
        A field's annotation: ``X``, ``X | None`` or ``X | Y``, possibly ``Annotated``.

    Returns
    -------
    list of type
        The pydantic models in it (empty when it holds none).
    """
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def _bounds(metadata: list[Any]) -> str:
    found = [f"{symbol} {getattr(m, key)}" for m in metadata for key, symbol in _BOUNDS if getattr(m, key, None) is not None]
    return f" ({', '.join(found)})" if found else ""


def type_text(annotation: Any) -> str:
    """Return a short readable type: ``float (> 0)``, ``list[int]``, ``"a" | "b"``, ``float | None`` ...

    Parameters
    ----------
    annotation : Any
        A field's annotation, with its constraints.

    Returns
    -------
    str
        The type as shown in the guide's key tables.
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return type_text(base) + _bounds(meta)
    if origin is typing.Literal:
        return " | ".join(f'"{a}"' if isinstance(a, str) else repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in typing.get_args(annotation))
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_text(a) for a in typing.get_args(annotation))}]"
    if annotation is type(None):
        return "None"
    return str(getattr(annotation, "__name__", annotation))


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default is PydanticUndefined:
        made = info.default_factory() if info.default_factory is not None else None  # type: ignore[call-arg]
        return "its table's defaults" if isinstance(made, BaseModel) else "computed"
    if isinstance(info.default, BaseModel):
        return "its table's defaults"
    if isinstance(info.default, str):
        return f'"{info.default}"'
    return repr(info.default)


def section_keys(model: type[BaseModel]) -> list[SpecKey]:
    """Return every key of a spec section, in the order of its fields.

    Parameters
    ----------
    model : type
        The section's pydantic model.

    Returns
    -------
    list of SpecKey
        One row per field.
    """
    return [SpecKey(info.alias or name, type_text(info.annotation) + _bounds(info.metadata), _default_text(info), " ".join((info.description or "").split()))
            for name, info in model.model_fields.items()]


def spec_sections(model: type[BaseModel], name: str) -> list[tuple[str, type[BaseModel]]]:
    """List a spec model and, depth first, every sub-table it holds.

    Parameters
    ----------
    model : type
        The pydantic model of the section.
    name : str
        Its dotted section name (``""`` for the top level).

    Returns
    -------
    list of tuple
        ``(section name, class)`` pairs.
    """
    found = [(name, model)]
    for field, info in model.model_fields.items():
        for sub in section_classes(info.annotation):
            found += spec_sections(sub, f"{name}.{info.alias or field}" if name else (info.alias or field))
    return found
