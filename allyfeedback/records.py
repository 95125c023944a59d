"""Standard-library dataclasses with the methods pydantic models offer
(``model_dump``, ``model_dump_json``, ``model_validate``, ``model_validate_json``,
``model_copy``, ``model_json_schema``), for the result types.

Why not pydantic itself: a command-line check builds a handful of these once, and
importing pydantic and building its models cost more than the whole critique. Here the
fields are checked on construction by one function written once per class from their
annotations, as ``dataclasses`` writes ``__init__`` (``str``, ``int``, ``bool``, ``None``,
``Literal``, ``list``, another record; ``Annotated[..., Range(low, high)]`` for bounds,
``Doc(...)`` for a schema description). The JSON is ``json.dumps`` of ``model_dump()``,
byte for byte what pydantic wrote.
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
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

R = TypeVar("R", bound="Record")


class Range(NamedTuple):
    """``Annotated`` bounds of a whole number, both included (``None`` still passes)."""

    low: int | None = None
    high: int | None = None


class Doc(NamedTuple):
    """``Annotated`` description of a field, shown in the JSON schema."""

    text: str


class _Field(NamedTuple):
    """One field of a record, read once from its annotation."""

    name: str
    hint: Any  # the type, bounds and description taken off
    expected: str
    bounds: Range
    doc: str | None
    required: bool
    default: Any
    # Records inside: how ``model_dump`` writes the value and ``model_validate`` reads it
    # (``None``: the value is a JSON value as it is).
    dump: Callable[[Any], Any] | None
    load: Callable[[Any], Any] | None


class _Layout(NamedTuple):
    """What the methods of one record class need, made once."""

    fields: tuple[_Field, ...]
    names: frozenset[str]
    check: Callable[[Any], None]  # raises ``ValueError`` for the first field of a wrong type
    dumped: tuple[tuple[str, Callable[[Any], Any]], ...]  # the fields ``dump`` rewrites


_LAYOUTS: dict[type, _Layout] = {}


def _unwrap(hint: Any) -> tuple[Any, Range, str | None]:
    if get_origin(hint) is not Annotated:
        return hint, Range(), None
    base, *extras = get_args(hint)
    bounds = next((x for x in extras if isinstance(x, Range)), Range())
    docs = [x.text for x in extras if isinstance(x, Doc)]
    return base, bounds, docs[0] if docs else None


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Record)


def _int_test(bounds: Range, v: str) -> tuple[str, str]:
    # ``type(v) is int``: not a bool (pydantic's strict ints refuse those too).
    low, high = bounds.low, bounds.high
    if low is not None and high is not None:
        return f"(type({v}) is int and {low} <= {v} <= {high})", f"an int from {low} to {high}"
    if low is not None:
        return f"(type({v}) is int and {v} >= {low})", f"an int >= {low}"
    if high is not None:
        return f"(type({v}) is int and {v} <= {high})", f"an int <= {high}"
    return f"type({v}) is int", "an int"


def _test(hint: Any, bounds: Range, v: str, names: dict[str, Any]) -> tuple[str, str]:
    """A Python expression that is true when the value named ``v`` fits ``hint``, and the
    words for what it expects. ``names`` collects the objects the expression refers to."""
    if _is_union(hint):
        parts = [_test(arg, bounds, v, names) for arg in get_args(hint)]
        return "(" + " or ".join(e for e, _ in parts) + ")", " or ".join(w for _, w in parts)
    if hint is type(None):
        return f"{v} is None", "None"
    if get_origin(hint) is Literal:
        name = f"_allowed{len(names)}"
        names[name] = frozenset(get_args(hint))
        words = "one of " + ", ".join(repr(a) for a in get_args(hint))
        return f"(type({v}) is str and {v} in {name})", words
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        each, words = _test(item, Range(), "x", names)
        of = words.removeprefix("an ").removeprefix("a ")
        return f"(type({v}) is list and all({each} for x in {v}))", f"a list of {of}"
    if hint is int:
        return _int_test(bounds, v)
    if hint is bool:
        return f"({v} is True or {v} is False)", "a bool"
    if hint is str or _is_record(hint):
        names[hint.__name__] = hint
        return f"isinstance({v}, {hint.__name__})", f"a {hint.__name__}"
    raise TypeError(f"records: no check for {hint!r}")  # pragma: no cover - a new field type


def _checker(cls: type, tests: list[tuple[str, str]], names: dict[str, Any]) -> Any:
    """One function that checks every field's type, made from the fields' expressions
    (as ``dataclasses`` makes ``__init__``): a record is built per finding, and a loop
    over a predicate per field cost more than the rest of the construction."""
    lines = [f"def check_{cls.__name__}(self):", "    d = self.__dict__"]
    for name, expression in tests:
        lines += [
            f"    v = d[{name!r}]",
            f"    if not {expression}:",
            f"        self._refuse({name!r})",
        ]
    exec("\n".join(lines), names)  # our own field types: no input reaches this text
    return names[f"check_{cls.__name__}"]


def _dump_and_load(hint: Any) -> tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]:
    """How a value of ``hint`` is written to plain data and read back, when it holds
    records (``None`` for plain JSON values; lists of those are copied on dump)."""
    if _is_union(hint):
        inner = [a for a in get_args(hint) if a is not type(None)]
        if len(inner) == 1 and _is_record(inner[0]):
            dump, load = _dump_and_load(inner[0])
            assert dump is not None and load is not None
            return (lambda v: None if v is None else dump(v)), (
                lambda v: None if v is None else load(v)
            )
        return None, None
    if _is_record(hint):
        return (lambda v: v.model_dump()), (
            lambda v: hint.model_validate(v) if isinstance(v, dict) else v
        )
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        if _is_record(item):
            return (lambda v: [x.model_dump() for x in v]), (
                lambda v: (
                    [item.model_validate(x) if isinstance(x, dict) else x for x in v]
                    if isinstance(v, list)
                    else v
                )
            )
        return list, None  # a copy, as pydantic gives
    return None, None


def layout(cls: type[Record]) -> _Layout:
    """The fields of ``cls`` in order, with their checks (made on first use)."""
    found = _LAYOUTS.get(cls)
    if found is not None:
        return found
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    names: dict[str, Any] = {}
    tests = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # every Record is one
        hint, bounds, doc = _unwrap(hints[f.name])
        expression, expected = _test(hint, bounds, "v", names)
        tests.append((f.name, expression))
        has_default = f.default is not dataclasses.MISSING
        required = not has_default and f.default_factory is dataclasses.MISSING
        default = f.default if has_default else dataclasses.MISSING
        dump, load = _dump_and_load(hint)
        out.append(_Field(f.name, hint, expected, bounds, doc, required, default, dump, load))
    found = _Layout(
        fields=tuple(out),
        names=frozenset(f.name for f in out),
        check=_checker(cls, tests, names),
        dumped=tuple((f.name, f.dump) for f in out if f.dump is not None),
    )
    _LAYOUTS[cls] = found
    return found


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Record:
    """Base of the result dataclasses: type checks on construction, the ``_check`` hook
    for a class's own invariants, and pydantic's method names for users of those."""

    def __post_init__(self) -> None:
        cls = type(self)
        (_LAYOUTS.get(cls) or layout(cls)).check(self)
        self._check()

    def _refuse(self, name: str) -> None:
        f = next(f for f in layout(type(self)).fields if f.name == name)
        value = self.__dict__[name]
        raise ValueError(f"{type(self).__name__}.{name} must be {f.expected}, not {_clip(value)}")

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
        lay = layout(type(self))
        values = self.__dict__
        out = {f.name: values[f.name] for f in lay.fields}
        for name, dump in lay.dumped:
            out[name] = dump(out[name])
        if include is not None:
            keep = set(include)
            out = {k: v for k, v in out.items() if k in keep}
        if exclude is not None:
            drop = set(exclude)
            out = {k: v for k, v in out.items() if k not in drop}
        return out

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
        lay = layout(cls)
        unknown = sorted(str(k) for k in obj.keys() - lay.names)
        if unknown:
            raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}")
        missing = [f.name for f in lay.fields if f.required and f.name not in obj]
        if missing:
            raise ValueError(f"{name}: missing field(s) {', '.join(missing)}")
        values = dict(obj)
        for f in lay.fields:
            if f.load is not None and f.name in values:
                values[f.name] = f.load(values[f.name])
        return cls(**values)

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
        if deep:
            new = copy.deepcopy(self)
        else:  # what ``copy.copy`` does, without its detours (spans are copied per draft)
            new = object.__new__(type(self))
            new.__dict__.update(self.__dict__)
        if update:
            unknown = sorted(update.keys() - layout(type(self)).names)
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
    for f in layout(cls).fields:
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
    required = [f.name for f in layout(cls).fields if f.required]
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
