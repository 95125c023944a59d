"""Large LLM jobs through the provider's own batch engine (OpenAI's Batch API).

The provider runs the requests when it has capacity, within 24 hours, at half the price of
the same requests sent one by one, with no rate limits to juggle. The steps:

1. the drafts not yet in ``--out`` become one request each (the same prompts and answer
   format as a live critique), uploaded as one JSONL file through the Files API, and one
   batch is created for it through the Batches API;
2. what was submitted is saved next to ``--out`` (``OUT.openai-batch.json``) *before* the
   batch is created, so a rerun, after Ctrl-C or a crash, resumes polling the same batch
   instead of paying again;
3. the batch is polled until it ends, with progress;
4. each answer is validated, grounded and merged exactly as a live one
   (``api.critique_from_answer``), and written to ``--out`` in input order;
5. a request that failed, expired or gave an unusable answer falls back to the rules with
   the reason in ``fallback_reason`` (or is written as an error with ``fallback=False``).

A draft that cannot be critiqued at all (empty, too long) is written as an error in its place
and never sent. At most ``MAX_REQUESTS`` drafts and ``MAX_BYTES`` go into one batch (the
API's limits); a rerun sends the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from .batch import BatchReport, plan_batch
from .batch_input import Draft, OnBadLine, read_drafts
from .config import LLMConfig
from .errors import AllyFeedbackError, ConfigurationError, LLMError
from .models import Feedback, Usage
from .progress import Progress
from .results_file import Appender, replace_atomically
from .ruleset import RuleSet

MAX_REQUESTS = 50_000  # the Batch API's limit per batch
MAX_BYTES = 190 << 20  # under the Batch API's 200 MB per input file
ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"  # the only completion window the Batch API offers
STATE_SUFFIX = ".openai-batch.json"
_ENDED = ("completed", "failed", "expired", "cancelled")


@dataclass(frozen=True)
class Request:
    """One submitted draft: its request id in the batch, its input id, and a digest of its
    text so that an input edited since it was sent is not merged with a stale answer."""

    custom_id: str
    id: str
    digest: str


@dataclass
class Submitted:
    """What is saved next to ``--out`` while a batch runs."""

    input_file_id: str
    requests: list[Request]
    rejected: list[str]  # ids of drafts that cannot be critiqued, never sent
    batch_id: str | None = None

    def save(self, path: Path) -> None:
        replace_atomically(path, json.dumps(asdict(self), indent=1).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> Submitted:
        try:
            data = json.loads(path.read_bytes())
            return cls(
                input_file_id=str(data["input_file_id"]),
                requests=[Request(**r) for r in data["requests"]],
                rejected=[str(i) for i in data["rejected"]],
                batch_id=data.get("batch_id"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AllyFeedbackError(
                f"{path} is damaged ({exc}); if its batch still runs, find it in the "
                "provider's dashboard, then delete this file to submit a new batch"
            ) from None


def state_path(out_path: str | Path) -> Path:
    out = Path(out_path)
    return out.with_name(out.name + STATE_SUFFIX)


def _digest(draft: Draft) -> str:
    data = json.dumps([draft.text, draft.situation], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


def request_body(draft: Draft, config: LLMConfig, ruleset: RuleSet) -> dict[str, Any]:
    """The chat completions request a live critique of ``draft`` would send first, as JSON."""
    from .llm import new_conversation

    body = new_conversation(draft.text, draft.situation, config, ruleset).request()
    if isinstance(body["response_format"], type):  # the Pydantic model, for structured outputs
        # The very ``response_format`` the SDK's ``parse()`` sends for it.
        try:
            from openai.lib._parsing._completions import type_to_response_format_param
        except ImportError:  # pragma: no cover - a later SDK may move it
            raise ConfigurationError(
                "this version of the openai package cannot write a structured-output "
                "request for a batch; pass --mode json_object"
            ) from None

        body["response_format"] = type_to_response_format_param(body["response_format"])
    return body


@dataclass
class ProviderBatch:
    """One ``--provider-batch`` run: the settings, then ``run``."""

    in_path: str | Path
    out_path: str | Path
    config: LLMConfig  # resolved (model, key, server)
    ruleset: RuleSet
    client: Any
    max_chars: int
    fallback: bool = True
    poll_every: float = 30.0
    progress: TextIO | None = None
    on_status: Callable[[str], None] | None = None

    def run(self, on_bad_line: OnBadLine | None = None) -> BatchReport:
        plan = plan_batch(self.in_path, self.out_path, on_bad_line)
        state = state_path(self.out_path)
        report = plan.report
        with Appender(self.out_path) as out:
            submitted: Submitted | None
            if state.exists():
                submitted = Submitted.load(state)
                self._say(f"resuming the batch saved in {state.name}")
            else:
                submitted = self._submit(plan.drafts(self.in_path), state)
            if submitted is None:
                return report
            batch = None
            if submitted.requests:
                batch_id = submitted.batch_id or self._create(submitted, state)
                batch = self._poll(batch_id, len(submitted.requests))
            self._write_results(batch, submitted, plan.done, out, report)
        if batch is not None:
            self._delete_files(batch)
        state.unlink(missing_ok=True)
        left = plan.todo - report.written
        if left > 0:
            self._say(f"{left} drafts were left for the next batch: run the same command again")
        return report

    def _say(self, message: str) -> None:
        if self.on_status is not None:
            self.on_status(message)

    # 1-2: submit ------------------------------------------------------------------------
    def _submit(self, drafts: Iterator[Draft], state: Path) -> Submitted | None:
        """Upload a request per draft that can be critiqued (the rules check it first, so
        an empty or oversized draft is never sent; it is written as an error in its place
        among the results)."""
        lines: list[bytes] = []
        size = 0
        requests: list[Request] = []
        rejected: list[str] = []
        for draft in drafts:
            if self._error(draft) is not None:
                rejected.append(draft.id)
                continue
            custom_id = f"r{len(requests)}"
            body = request_body(draft, self.config, self.ruleset)
            line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}
            data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
            if size + len(data) > MAX_BYTES:
                break
            lines.append(data)
            size += len(data)
            requests.append(Request(custom_id, draft.id, _digest(draft)))
            if len(requests) == MAX_REQUESTS:
                break
        if not requests:
            return Submitted("", [], rejected) if rejected else None
        data = b"".join(lines)
        uploaded = self._api(
            "upload the requests",
            lambda: self.client.files.create(file=("allyfeedback.jsonl", data), purpose="batch"),
        )
        submitted = Submitted(uploaded.id, requests, rejected)
        submitted.save(state)  # before the batch exists: a crash now cannot pay twice
        self._say(f"uploaded {len(requests)} requests ({len(data):,} bytes)")
        return submitted

    def _error(self, draft: Draft) -> str | None:
        """Why the draft cannot be critiqued at all, or ``None``."""
        from .api import critique

        try:
            critique(
                draft.text,
                draft.situation,
                backend="rules",
                ruleset=self.ruleset,
                max_chars=self.max_chars,
            )
        except (AllyFeedbackError, TypeError, ValueError) as exc:
            return str(exc)
        return None

    def _create(self, submitted: Submitted, state: Path) -> str:
        """The batch for the uploaded file: one found (created by a run that stopped before
        it could save the id), or a new one."""
        found = self._api(
            "list batches",
            lambda: next(
                (
                    b
                    for b in self.client.batches.list(limit=100).data  # the latest 100
                    if b.input_file_id == submitted.input_file_id
                ),
                None,
            ),
        )
        batch = found or self._api(
            "create the batch",
            lambda: self.client.batches.create(
                input_file_id=submitted.input_file_id,
                endpoint=ENDPOINT,
                completion_window=WINDOW,
                metadata={"created_by": "allyfeedback"},
            ),
        )
        submitted.batch_id = str(batch.id)
        submitted.save(state)
        self._say(f"batch {batch.id} created; the provider has {WINDOW} to run it")
        return submitted.batch_id

    # 3: poll ----------------------------------------------------------------------------
    def _poll(self, batch_id: str, total: int) -> Any:
        bar = Progress(self.progress, total)
        status = ""
        try:
            while True:
                batch = self._api("check the batch", lambda: self.client.batches.retrieve(batch_id))
                counts = batch.request_counts
                done = (counts.completed + counts.failed) if counts else 0
                if batch.status != status:
                    status = batch.status
                    self._say(f"batch {batch_id}: {status}, {done}/{total} requests done")
                bar.update(done, status=status, force=True)
                if batch.status in _ENDED:
                    return batch
                time.sleep(self.poll_every)
        finally:
            bar.close()

    def _delete_files(self, batch: Any) -> None:
        """The drafts and answers stay in the provider's file storage until deleted: delete
        them once the results are safely written (a failure here only warns)."""
        for file_id in (batch.input_file_id, batch.output_file_id, batch.error_file_id):
            if file_id:
                try:
                    self._api("delete a file", partial(self.client.files.delete, file_id))
                except AllyFeedbackError as exc:
                    self._say(f"{exc}; delete {file_id} in the provider's dashboard")

    # 4-5: results -----------------------------------------------------------------------
    def _download(self, file_id: str | None) -> dict[str, dict[str, Any]]:
        if not file_id:
            return {}
        content = self._api("download the results", lambda: self.client.files.content(file_id))
        rows: dict[str, dict[str, Any]] = {}
        for line in content.text.splitlines():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                row = json.loads(line)
                rows[str(row["custom_id"])] = row
        return rows

    def _write_results(
        self,
        batch: Any | None,
        submitted: Submitted,
        done: set[str],
        out: Appender,
        report: BatchReport,
    ) -> None:
        answers: dict[str, dict[str, Any]] = {}
        if batch is not None:
            answers = self._download(batch.output_file_id)
            answers.update(self._download(batch.error_file_id))
        wanted = {r.id: r for r in submitted.requests if r.id not in done}
        rejected = set(submitted.rejected) - done
        for draft in read_drafts(self.in_path):
            request = wanted.get(draft.id)
            if request is not None:
                row = self._result(draft, request, answers.get(request.custom_id), batch)
            elif draft.id in rejected and (error := self._error(draft)) is not None:
                row = {"id": draft.id, "ok": False, "error": error}
            else:
                continue  # not part of this batch (edited since, or left for the next one)
            out.write(json.dumps(row, ensure_ascii=False))
            report.written += 1
            report.failed += not row["ok"]
            report.fallbacks += bool(row["ok"] and row["feedback"]["fallback_reason"])

    def _result(
        self, draft: Draft, request: Request, answer: dict[str, Any] | None, batch: Any
    ) -> dict[str, Any]:
        from .api import critique_from_answer

        try:
            if request.digest != _digest(draft):
                raise LLMError("the draft was edited after it was sent to the batch")
            content, usage = _answer(answer, batch)
            fb = critique_from_answer(
                draft.text,
                content,
                draft.situation,
                ruleset=self.ruleset,
                max_chars=self.max_chars,
                llm=self.config,
                usage=usage,
                fallback=self.fallback,
            )
        except LLMError as exc:
            if not self.fallback:
                return {"id": draft.id, "ok": False, "error": str(exc)}
            fb = _fell_back(draft, str(exc), self.ruleset, self.max_chars)
        return {"id": draft.id, "ok": True, "feedback": fb.model_dump(mode="json")}

    def _api(self, what: str, call: Callable[[], Any]) -> Any:
        """``call()``, with the SDK's errors turned into one clear line (key scrubbed)."""
        from .llm import scrub

        try:
            return call()
        except Exception as exc:
            import openai

            if not isinstance(exc, openai.OpenAIError):
                raise
            status = getattr(exc, "status_code", None)
            detail = scrub(str(exc), self.config.api_key)[:200]
            raise AllyFeedbackError(
                f"could not {what}: {type(exc).__name__}"
                + (f" (HTTP {status})" if status else "")
                + f": {detail}"
            ) from None


def _answer(answer: dict[str, Any] | None, batch: Any) -> tuple[str, Usage]:
    """The message content and token usage of one batch result line, or ``LLMError``
    saying why there is none."""
    if answer is None:
        errors = getattr(getattr(batch, "errors", None), "data", None) or []
        why = f" ({errors[0].message})" if errors and getattr(errors[0], "message", None) else ""
        raise LLMError(f"the provider's batch ended as {batch.status}{why} with no answer here")
    response = answer.get("response") or {}
    body = response.get("body") or {}
    error = answer.get("error") or (body.get("error") if isinstance(body, dict) else None)
    if response.get("status_code") != 200 or error:
        message = error.get("message") if isinstance(error, dict) else None
        status = response.get("status_code")
        raise LLMError(
            f"the provider's batch could not run this request"
            f"{f' (HTTP {status})' if status else ''}: {message or 'no reason given'}"
        )
    try:
        choice = body["choices"][0]
        message = choice["message"]
        usage = body.get("usage") or {}
        spent = Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
            attempts=1,
        )
    except (KeyError, IndexError, TypeError, ValueError):
        raise LLMError("the provider's batch returned an answer with no message") from None
    if message.get("refusal"):
        raise LLMError("the model refused to review this draft")
    if choice.get("finish_reason") == "length":
        raise LLMError("the model's answer was cut off at the token limit (max_tokens)")
    return str(message.get("content") or ""), spent


def _fell_back(draft: Draft, reason: str, ruleset: RuleSet, max_chars: int) -> Feedback:
    from .api import _fallback, critique

    rules_fb = critique(
        draft.text, draft.situation, backend="rules", ruleset=ruleset, max_chars=max_chars
    )
    return _fallback(rules_fb, reason, Usage())


def run_provider_batch(
    in_path: str | Path,
    out_path: str | Path,
    *,
    llm: LLMConfig | None = None,
    model: str | None = None,
    base_url: str | None = None,
    client: Any = None,
    disable: tuple[str, ...] | list[str] = (),
    rules: tuple[str, ...] | list[str] = (),
    ruleset: RuleSet | None = None,
    max_chars: int | None = None,
    fallback: bool = True,
    poll_every: float = 30.0,
    progress: TextIO | None = None,
    on_status: Callable[[str], None] | None = None,
    on_bad_line: OnBadLine | None = None,
) -> BatchReport:
    """``allyfeedback batch --backend llm --provider-batch`` from Python; see the module
    docstring. Blocks until the batch ends (up to 24 hours); interrupt it at any time and
    call it again with the same paths to resume."""
    from dataclasses import replace

    from .api import DEFAULT_MAX_CHARS, resolve_ruleset
    from .llm import make_client

    config = llm or LLMConfig()
    config = replace(
        config, model=model or config.model, base_url=base_url or config.base_url
    ).resolved()
    if poll_every < 0:
        raise ValueError("poll_every must be 0 or more seconds")
    job = ProviderBatch(
        in_path,
        out_path,
        config,
        resolve_ruleset(ruleset, disable, rules),
        client or make_client(config),
        max_chars or DEFAULT_MAX_CHARS,
        fallback=fallback,
        poll_every=poll_every,
        progress=progress,
        on_status=on_status,
    )
    return job.run(on_bad_line)
