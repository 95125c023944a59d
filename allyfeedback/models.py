"""The result types. ``Feedback`` is the one object every engine returns and every
renderer reads, so its invariants (spans point into the draft, all six elements are
listed once) are checked here, on construction and on every JSON round-trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal, TypeVar

from .records import Doc, Range, Record
from .taxonomy import ELEMENT_IDS, TITLES, ElementId, ProblemId, Severity

SCHEMA_VERSION = "1"

Source = Literal["rules", "llm", "hybrid"]
# "learned": the offline learned layer (rule_id "learned.<category>"), part of the rule engine.
FindingSource = Literal["rules", "learned", "llm"]
Verdict = Literal["ready", "revise", "rethink"]
Offset = Annotated[int, Range(0)]


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``text[offset]``; lines end at ``\\n``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_S = TypeVar("_S", bound="_Span")


@dataclass(frozen=True, kw_only=True)
class _Span(Record):
    quote: str | None = None
    start: Annotated[int | None, Range(0)] = None
    end: Annotated[int | None, Range(0)] = None
    # Derived from ``start`` by ``Feedback`` (any value given is replaced), so that JSON,
    # SARIF and editor tools get a position without counting characters themselves.
    line: Annotated[int | None, Range(1), Doc("1-based line of `start`.")] = None
    column: Annotated[int | None, Range(1), Doc("1-based column of `start`, in characters.")] = None

    def _positioned(self: _S, draft: str) -> _S:
        """This span with ``line`` and ``column`` computed from ``start``."""
        if self.start is None:
            return (
                self
                if self.line is None and self.column is None
                else self.model_copy(update={"line": None, "column": None})
            )
        line, column = line_column(draft, self.start)
        if (self.line, self.column) == (line, column):
            return self
        return self.model_copy(update={"line": line, "column": column})

    def _check_span(self, draft: str) -> None:
        if self.quote is None:
            if self.start is not None or self.end is not None:
                raise ValueError("a span without a quote must not have offsets")
            return
        if self.start is None or self.end is None:
            raise ValueError("a quote needs start and end offsets")
        if draft[self.start : self.end] != self.quote:
            raise ValueError(f"quote {self.quote!r} is not draft[{self.start}:{self.end}]")


@dataclass(frozen=True, kw_only=True)
class Problem(_Span):
    """Something in the draft that makes the apology worse, with the exact words."""

    category: ProblemId
    # Required here (``field()``: no default inherited from ``_Span``).
    quote: str = field()
    start: Offset = field()
    end: Offset = field()
    severity: Severity
    message: Annotated[str, Doc("Why it hurts, in the article's terms.")]
    suggestion: Annotated[str, Doc("What to write instead.")]
    rule_id: Annotated[str, Doc("The rule (or 'llm.<category>') that found it.")]
    source: FindingSource = "rules"
    disputed: Annotated[
        bool, Doc("A rule finding the model reviewed and did not confirm: shown, not scored.")
    ] = False

    @property
    def title(self) -> str:
        return TITLES[self.category]


@dataclass(frozen=True, kw_only=True)
class Element(_Span):
    """One of the six things a good reply contains; ``present`` says whether it does."""

    id: ElementId
    present: bool
    tip: Annotated[str | None, Doc("How to add it, when missing.")] = None
    rule_id: str | None = None
    source: FindingSource | None = None
    disputed: Annotated[
        bool, Doc("Found by the rules, judged absent by the model: shown, not scored.")
    ] = False

    @property
    def title(self) -> str:
        return TITLES[self.id]

    @property
    def counted(self) -> bool:
        """Present and not disputed: what the score and verdict use."""
        return self.present and not self.disputed


@dataclass(frozen=True, kw_only=True)
class Skipped(Record):
    """A stretch of the draft left out of the critique: someone else's words (a quoted
    reply, a forwarded message) or the writer's signature and sign-off."""

    kind: Literal["quoted_reply", "forwarded", "signature", "sign_off"]
    start: Offset
    end: Offset


@dataclass(kw_only=True)
class Usage(Record):
    """Tokens spent on one critique, summed over every attempt (re-asks included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    attempts: int = 0


@dataclass(kw_only=True)
class Feedback(Record):
    """A critique of one draft. Round-trips through JSON (``model_dump_json`` /
    ``model_validate_json``) with its invariants re-checked."""

    schema_version: str = SCHEMA_VERSION
    draft: str
    situation: str | None = None
    problems: list[Problem]
    elements: list[Element]
    score: Annotated[int, Range(0, 100)]
    verdict: Verdict
    summary: str
    revision: str
    source: Source
    warnings: list[str] = field(default_factory=list)
    fallback_reason: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    usage: Usage = field(default_factory=Usage)
    skipped: Annotated[
        list[Skipped], Doc("What was left out of the critique: draft[start:end].")
    ] = field(default_factory=list)

    def _check(self) -> None:
        ids = [e.id for e in self.elements]
        if ids != list(ELEMENT_IDS):
            raise ValueError(f"elements must list {list(ELEMENT_IDS)} in order, got {ids}")
        for p in self.problems:
            p._check_span(self.draft)
        for e in self.elements:
            e._check_span(self.draft)
        for k in self.skipped:
            if not k.start < k.end <= len(self.draft):
                raise ValueError(f"skipped [{k.start}:{k.end}] is not a stretch of the draft")
        self.problems = [p._positioned(self.draft) for p in self.problems]
        self.elements = [e._positioned(self.draft) for e in self.elements]

    # Convenience views -------------------------------------------------------------
    @property
    def problem_ids(self) -> list[str]:
        """Distinct problem categories found, in taxonomy order (disputed ones left out,
        as the score leaves them out)."""
        found = {p.category for p in self.problems if not p.disputed}
        return [c for c in TITLES if c in found]

    @property
    def element_ids(self) -> list[str]:
        """Element ids present in the draft and counted, in taxonomy order."""
        return [e.id for e in self.elements if e.counted]

    @property
    def missing(self) -> list[str]:
        return [e.id for e in self.elements if not e.counted]

    @property
    def engine(self) -> str:
        """Which engine ran, in words every output shows."""
        if self.fallback_reason:
            return "rules (the model was not used)"
        if self.source == "rules":
            return "rules (offline)"
        return f"rules + model {self.model}" if self.source == "hybrid" else f"model {self.model}"

    def element(self, element_id: str) -> Element:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)

    def to_text(self, color: bool = False) -> str:
        from .render import render_text

        return render_text(self, color=color)

    def to_markdown(self) -> str:
        from .render import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        """A self-contained HTML fragment; the draft and every quote are escaped."""
        from .render import render_html

        return render_html(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.to_html()
