"""Standard-library dataclasses with the methods pydantic models offer
(``model_dump``, ``model_dump_json``, ``model_validate``, ``model_validate_json``,
``model_copy``, ``model_json_schema``), for the result types.

Why not pydantic itself: a command-line check builds a handful of these once, and
importing pydantic and building its models cost more than the whole critique. Here each
field is checked on construction by a small function made once per class from its
annotation (``str``, ``int``, ``bool``, ``None``, ``Literal``, ``list``, another record;
``Annotated[..., Range(low, high)]`` for bounds, ``Doc(...)`` for a schema description).
Every failure is a ``ValueError`` (as pydantic's ``ValidationError`` is) that names the
class and the field.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import types
import typing
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

R = TypeVar("R", bound="Record")


@dataclasses.dataclass(frozen=True)
class Range:
    """``Annotated`` bounds of a whole number, both included (``None`` still passes)."""

    low: int | None = None
    high: int | None = None


@dataclasses.dataclass(frozen=True)
class Doc:
    """``Annotated`` description of a field, shown in the JSON schema."""

    text: str


@dataclasses.dataclass(frozen=True)
class _Field:
    """One field of a record, read once from its annotation."""

    name: str
    hint: Any  # the type, bounds and description taken off
    accepts: Callable[[Any], bool]
    expected: str
    bounds: Range
    doc: str | None
    required: bool
    default: Any


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _unwrap(hint: Any) -> tuple[Any, Range, str | None]:
    if get_origin(hint) is not Annotated:
        return hint, Range(), None
    base, *extras = get_args(hint)
    bounds = next((x for x in extras if isinstance(x, Range)), Range())
    docs = [x.text for x in extras if isinstance(x, Doc)]
    return base, bounds, docs[0] if docs else None


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)


def _test(hint: Any, bounds: Range) -> tuple[Callable[[Any], bool], str]:
    """A predicate for values of ``hint`` and the words for what it expects."""
    if _is_union(hint):
        parts = [_test(arg, bounds) for arg in get_args(hint)]
        tests = [t for t, _ in parts]
        return (lambda v: any(t(v) for t in tests)), " or ".join(w for _, w in parts)
    if hint is type(None):
        return (lambda v: v is None), "None"
    if get_origin(hint) is Literal:
        allowed = frozenset(get_args(hint))
        return (lambda v: isinstance(v, str) and v in allowed), "one of " + ", ".join(
            repr(a) for a in get_args(hint)
        )
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        each, words = _test(item, Range())
        of = words.removeprefix("an ").removeprefix("a ")
        return (lambda v: isinstance(v, list) and all(each(x) for x in v)), f"a list of {of}"
    if hint is int:
        low, high = bounds.low, bounds.high
        if low is not None and high is not None:
            words = f"an int from {low} to {high}"
        else:
            words = "an int" + (f" >= {low}" if low is not None else "")
            words += f" <= {high}" if high is not None else ""
        return (
            lambda v: (
                isinstance(v, int)
                and not isinstance(v, bool)
                and (low is None or v >= low)
                and (high is None or v <= high)
            )
        ), words
    if hint in (str, bool):
        return (lambda v: isinstance(v, hint)), f"a {hint.__name__}"
    if isinstance(hint, type) and issubclass(hint, Record):
        return (lambda v: isinstance(v, hint)), f"a {hint.__name__}"
    raise TypeError(f"records: no check for {hint!r}")  # pragma: no cover - a new field type


def fields_of(cls: type[Record]) -> tuple[_Field, ...]:
    """The fields of ``cls`` in order, with their checks (made on first use)."""
    found = _FIELDS.get(cls)
    if found is not None:
        return found
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # every Record is one
        hint, bounds, doc = _unwrap(hints[f.name])
        accepts, expected = _test(hint, bounds)
        has_default = f.default is not dataclasses.MISSING
        required = not has_default and f.default_factory is dataclasses.MISSING
        default = f.default if has_default else dataclasses.MISSING
        out.append(_Field(f.name, hint, accepts, expected, bounds, doc, required, default))
    _FIELDS[cls] = found = tuple(out)
    return found


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _from_data(hint: Any, value: Any) -> Any:
    """``value`` read from JSON-like data: objects become the records the hint names."""
    if _is_union(hint):
        if value is None:
            return None
        hints = [h for h in get_args(hint) if h is not type(None)]
        return _from_data(hints[0], value) if len(hints) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Record) and isinstance(value, dict):
        return hint.model_validate(value)
    if get_origin(hint) is list and isinstance(value, list):
        (item,) = get_args(hint)
        return [_from_data(item, v) for v in value]
    return value


class Record:
    """Base of the result dataclasses: type checks on construction, the ``_check`` hook
    for a class's own invariants, and pydantic's method names for users of those."""

    def __post_init__(self) -> None:
        values = self.__dict__
        for f in fields_of(type(self)):
            value = values[f.name]
            if not f.accepts(value):
                raise ValueError(
                    f"{type(self).__name__}.{f.name} must be {f.expected}, not {_clip(value)}"
                )
        self._check()

    def _check(self) -> None:
        """A class's own invariants, after every field has its type."""

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """The fields as plain dicts and lists, in field order. Every field is a JSON
        type, so ``mode="json"`` and ``mode="python"`` give the same."""
        if mode not in ("python", "json"):
            raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")
        keep = None if include is None else set(include)
        drop = set(exclude or ())
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields_of(type(self))
            if (keep is None or f.name in keep) and f.name not in drop
        }

    def model_dump_json(self, *, indent: int | None = None) -> str:
        """JSON, byte for byte as pydantic wrote it: UTF-8 text (no ``\\u`` escapes
        but for control characters), compact unless ``indent`` is given."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(
            self.model_dump(), ensure_ascii=False, indent=indent, separators=separators
        )

    @classmethod
    def model_validate(cls: type[R], obj: Any) -> R:
        """A record from a dict (as ``model_dump`` or ``json.loads`` gives), checked."""
        if isinstance(obj, cls):
            return obj
        name = cls.__name__
        if not isinstance(obj, dict):
            raise ValueError(f"{name}: expected an object, not {type(obj).__name__}")
        fields = fields_of(cls)
        unknown = sorted(str(k) for k in obj.keys() - {f.name for f in fields})
        if unknown:
            raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}")
        missing = [f.name for f in fields if f.required and f.name not in obj]
        if missing:
            raise ValueError(f"{name}: missing field(s) {', '.join(missing)}")
        return cls(**{f.name: _from_data(f.hint, obj[f.name]) for f in fields if f.name in obj})

    @classmethod
    def model_validate_json(cls: type[R], data: str | bytes) -> R:
        """``model_validate`` of JSON text; text that is not JSON is a ``ValueError``."""
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"{cls.__name__}: not valid JSON ({exc})") from None
        return cls.model_validate(obj)

    def model_copy(self: R, *, update: dict[str, Any] | None = None, deep: bool = False) -> R:
        """A copy with ``update`` applied. As in pydantic, the update is not checked
        (a copy is how a test builds a tampered record); unknown names are refused."""
        new = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            unknown = sorted(update.keys() - {f.name for f in fields_of(type(self))})
            if unknown:
                raise ValueError(f"{type(self).__name__}: unknown field(s) {', '.join(unknown)}")
            new.__dict__.update(update)
        return new

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """The JSON schema (draft 2020-12) of this record and those it holds, laid out as
        pydantic lays it out: records in ``$defs``, keys sorted but for field order."""
        defs: dict[str, Any] = {}
        top = _record_schema(cls, defs)
        defs.pop(cls.__name__, None)
        out = dict(top)
        if defs:
            out["$defs"] = {k: defs[k] for k in sorted(defs)}
        schema: dict[str, Any] = _sorted(out)
        return schema


def _record_schema(cls: type[Record], defs: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in fields_of(cls):
        prop = _type_schema(f.hint, f.bounds, defs)
        if "$ref" not in prop:
            prop["title"] = f.name.title().replace("_", " ")
        if f.doc:
            prop["description"] = f.doc
        if f.default is not dataclasses.MISSING:
            prop["default"] = f.default
        props[f.name] = prop
    schema: dict[str, Any] = {
        "additionalProperties": False,
        "properties": props,
        "title": cls.__name__,
        "type": "object",
    }
    doc = cls.__dict__.get("__doc__")
    if doc:
        schema["description"] = inspect.cleandoc(doc)
    required = [f.name for f in fields_of(cls) if f.required]
    if required:
        schema["required"] = required
    defs[cls.__name__] = schema
    return schema


def _type_schema(hint: Any, bounds: Range, defs: dict[str, Any]) -> Any:
    if _is_union(hint):
        return {"anyOf": [_type_schema(a, bounds, defs) for a in get_args(hint)]}
    if hint is type(None):
        return {"type": "null"}
    if get_origin(hint) is Literal:
        return {"enum": list(get_args(hint)), "type": "string"}
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        return {"items": _type_schema(item, Range(), defs), "type": "array"}
    if isinstance(hint, type) and issubclass(hint, Record):
        if hint.__name__ not in defs:
            _record_schema(hint, defs)
        return {"$ref": f"#/$defs/{hint.__name__}"}
    if hint is int:
        out: dict[str, Any] = {"type": "integer"}
        if bounds.low is not None:
            out["minimum"] = bounds.low
        if bounds.high is not None:
            out["maximum"] = bounds.high
        return out
    return {"type": {str: "string", bool: "boolean"}[hint]}


def _sorted(value: Any, *, keep_order: bool = False) -> Any:
    """Keys sorted at every level, except a record's ``properties`` (field order) and
    the values given as defaults."""
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    if not isinstance(value, dict):
        return value
    keys = list(value) if keep_order else sorted(value)
    return {
        k: value[k] if k == "default" else _sorted(value[k], keep_order=k == "properties")
        for k in keys
    }
