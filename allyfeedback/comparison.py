"""Rules, the model's raw answer and the merged result, side by side on labelled drafts.

``allyfeedback eval FILE --backend llm`` prints this. Each draft is critiqued once by the
rules and once by the LLM engine; the model's raw labels are read from the same answer
the merge used (its grounded problems and the elements it marked present), so the three
columns differ only in what the merge decided. Tokens and latency are summed per engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .evaluation import Example, Report, score_predictions
from .models import Usage


@dataclass
class SideBySide:
    """Three reports on the same drafts, and what the model cost."""

    rules: Report
    model: Report
    merged: Report
    usage: Usage = field(default_factory=Usage)
    rules_seconds: float = 0.0
    llm_seconds: float = 0.0
    fallbacks: int = 0

    def as_dict(self) -> dict[str, Any]:
        n = max(self.merged.n, 1)
        return {
            "n": self.merged.n,
            "rules": self.rules.as_dict(),
            "model": self.model.as_dict(),
            "merged": self.merged.as_dict(),
            "tokens": self.usage.model_dump(),
            "rules_ms_per_draft": round(1000 * self.rules_seconds / n, 2),
            "llm_ms_per_draft": round(1000 * self.llm_seconds / n, 2),
            "fallbacks": self.fallbacks,
        }

    def to_text(self) -> str:
        head = f"{'label':<20}{'rules':>8}{'model':>8}{'merged':>8}{'support':>9}   (F1)"
        lines = [head]
        for label, merged in self.merged.labels.items():
            lines.append(
                f"{label:<20}{self.rules.labels[label].f1:>8.3f}"
                f"{self.model.labels[label].f1:>8.3f}{merged.f1:>8.3f}{merged.support:>9}"
            )
        lines.append("")
        for name, r in (("micro F1", "micro_f1"), ("macro F1", "macro_f1")):
            values = [getattr(rep, r) for rep in (self.rules, self.model, self.merged)]
            lines.append(f"{name:<20}" + "".join(f"{v:>8.3f}" for v in values))
        n = max(self.merged.n, 1)
        u = self.usage
        lines.append("")
        lines.append(
            f"n={self.merged.n}  tokens: {u.prompt_tokens} prompt + {u.completion_tokens} "
            f"completion in {u.attempts} answers ({u.total_tokens / n:.0f} per draft)"
        )
        lines.append(
            f"latency per draft: rules {1000 * self.rules_seconds / n:.1f} ms, "
            f"rules + model {1000 * self.llm_seconds / n:.1f} ms; "
            f"{self.fallbacks} fell back to the rules"
        )
        return "\n".join(lines)


def compare(examples: Iterable[Example], options: dict[str, Any]) -> SideBySide:
    """Run both engines on ``examples`` with ``critique``'s keyword ``options``."""
    from .api import critique, critique_traced

    rules_pred: list[set[str]] = []
    model_pred: list[set[str]] = []
    merged_pred: list[set[str]] = []
    items = list(examples)
    out = SideBySide(Report({}, 0), Report({}, 0), Report({}, 0))
    rule_options = {k: options[k] for k in ("disable", "rules", "max_chars") if k in options}
    for ex in items:
        t0 = time.perf_counter()
        fb = critique(ex.text, ex.situation, backend="rules", **rule_options)
        t1 = time.perf_counter()
        merged, raw = critique_traced(ex.text, ex.situation, **options)
        out.llm_seconds += time.perf_counter() - t1
        out.rules_seconds += t1 - t0
        rules_pred.append(set(fb.problem_ids) | set(fb.element_ids))
        merged_pred.append(set(merged.problem_ids) | set(merged.element_ids))
        model_pred.append(raw if raw is not None else set())
        out.fallbacks += merged.fallback_reason is not None
        for name in ("prompt_tokens", "completion_tokens", "total_tokens", "attempts"):
            setattr(out.usage, name, getattr(out.usage, name) + getattr(merged.usage, name))
    out.rules = score_predictions(items, rules_pred)
    out.model = score_predictions(items, model_pred)
    out.merged = score_predictions(items, merged_pred)
    return out
