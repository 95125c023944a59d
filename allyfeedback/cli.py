"""Command line, following linter conventions (proselint, Vale).

Exit codes:
    0  no problems found (``check``), or the command succeeded
    1  problems found (``check``); bad lines or failed drafts (``batch``)
    2  usage or input error: a one-line message on stderr, no traceback
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .errors import AllyFeedbackError, DraftTooLongError, InvalidDraftError
from .formats import FORMATS, Checked, write_results
from .render import terminal_safe

if TYPE_CHECKING:
    from .batch import BatchReport
    from .batch_input import BadLine
    from .evaluation import Report
    from .models import Feedback

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The commands that critique drafts, with the rule engine or the model.
_ENGINE_COMMANDS = ("check", "eval", "batch", "coach")
_MAX_CHARS_HINT = re.compile(r"max_chars=\S*?(?=\)|$|\s)")


def _terminal_width() -> int:
    """The width argparse would get from ``shutil.get_terminal_size``, read without
    importing shutil (which loads the bz2 and lzma modules: about 4 ms of a start)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) < 4 and kwargs.get("width") is None:  # (prog, indent, position, width)
            kwargs["width"] = _terminal_width()
        super().__init__(*args, **kwargs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive_int(value: str) -> int:
    """An argparse type: a whole number above zero (``--max-chars 0`` is refused, not
    read as "the default")."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not above zero; give a positive number")
    return number


def _fraction(value: str) -> float:
    """An argparse type: a number from 0 to 1 (an F1 threshold)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return number


def _verbosity_arg(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="show the library's log on stderr (-v: what it does, -vv: debugging detail)",
    )


def _common_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-chars",
        type=_positive_int,
        default=None,
        metavar="N",
        help="longest draft (and situation) accepted, in characters (default 10000); "
        "longer input is refused after reading N+1 characters",
    )
    p.add_argument(
        "--backend",
        choices=["rules", "llm", "auto"],
        default=None,
        help="engine: rules (offline), llm, or auto (llm when configured, else rules; default)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (default: allyfeedback.toml or [tool.allyfeedback] in "
        "pyproject.toml, here or in a folder above)",
    )
    p.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="ID",
        help="switch off a rule id or a whole category (repeatable)",
    )
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="add a rule file (TOML, repeatable)",
    )
    llm = p.add_argument_group("LLM engine (see docs/llm.md)")
    llm.add_argument("--model", help="model name (default: $ALLYFEEDBACK_MODEL or gpt-4o-mini)")
    llm.add_argument(
        "--base-url",
        metavar="URL",
        help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 "
        "(default: $ALLYFEEDBACK_BASE_URL, else $OPENAI_BASE_URL)",
    )
    llm.add_argument(
        "--mode",
        choices=["auto", "json_schema", "json_object"],
        default=None,
        help="structured-output mode (auto: json_schema for OpenAI, else json_object)",
    )
    llm.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    llm.add_argument(
        "--max-retries",
        type=int,
        default=None,
        metavar="N",
        help="transport retries done by the OpenAI SDK (default 2)",
    )
    llm.add_argument("--prompts", metavar="DIR", help="folder with your own prompt templates")
    llm.add_argument("--cache", metavar="FILE", help="sqlite file caching LLM critiques")
    llm.add_argument(
        "--no-fallback",
        action="store_true",
        help="fail (exit 2) instead of falling back to the rules when the model fails",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="allyfeedback",
        description="Feedback on a drafted apology after a mistake as an ally.",
        epilog="Exit codes: 0 no problems, 1 problems found, 2 usage or input error.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"allyfeedback {__version__}")
    _verbosity_arg(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # -v after the command too; SUPPRESS keeps a -v given before it.
    verbose = _Parser(add_help=False)
    _verbosity_arg(verbose, argparse.SUPPRESS)

    check = sub.add_parser(
        "check", help="critique drafts from files, globs or stdin", parents=[verbose]
    )
    check.add_argument(
        "files",
        nargs="*",
        default=["-"],
        metavar="FILE",
        help="draft files or globs (quote a glob to expand it here; ** recurses); "
        "- or nothing for stdin",
    )
    check.add_argument("--situation", metavar="TEXT", help="what happened, in a sentence")
    check.add_argument("--situation-file", metavar="FILE", help="read the situation from a file")
    check.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="text (default), json, markdown, sarif (SARIF 2.1.0), github (Actions annotations)",
    )
    check.add_argument(
        "--fail-on",
        choices=["problems", "not-ready", "never"],
        default="problems",
        help="when to exit 1: any problem found (default), any verdict other than ready, or never",
    )
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="text format: only the findings, one line each (FILE:LINE:COL), and the verdict "
        "of a draft that is not ready",
    )
    check.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour in text output (auto: only on a terminal, and not when NO_COLOR is set)",
    )
    _common_engine_args(check)

    rules = sub.add_parser("rules", help="list the rules", parents=[verbose])
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--config", metavar="FILE", help="settings file (as for check)")
    rules.add_argument("--rules", action="append", default=[], metavar="FILE")
    rules.add_argument("--disable", action="append", default=[], metavar="ID")
    rules.add_argument(
        "--test",
        action="store_true",
        help="run every loaded rule's own examples; exit 1 if any fails",
    )

    ev = sub.add_parser(
        "eval", help="precision, recall and F1 on a labelled JSONL file", parents=[verbose]
    )
    ev.add_argument("file", help="JSONL with text, situation, problems, elements")
    ev.add_argument("--format", choices=["text", "json"], default="text")
    ev.add_argument("--errors", action="store_true", help="also list the drafts it got wrong")
    ev.add_argument(
        "--min-f1",
        type=_fraction,
        default=None,
        metavar="X",
        help="exit 1 when micro F1 is below X (0 to 1), for CI",
    )
    ev.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="{register,scenario}",  # checked by evaluate(), which names the choices
        help="also print the figures for each register or scenario (repeatable)",
    )
    _common_engine_args(ev)

    batch = sub.add_parser(
        "batch",
        help="critique a JSONL file of drafts (id, text, situation) into JSONL, resumably",
        parents=[verbose],
    )
    batch.add_argument("input", help='JSONL: one {"id", "text", "situation"} object per line')
    batch.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="JSONL results; an existing file is resumed, not overwritten",
    )
    batch.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="critiques at once (for the LLM engine; results then come in finishing order)",
    )
    batch.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes for the rule engine (default: one per core); results stay in order",
    )
    batch.add_argument(
        "--provider-batch",
        action="store_true",
        help="with --backend llm: send all drafts through the provider's batch engine "
        "(OpenAI Batch API: half the price, results within 24 hours; a rerun resumes)",
    )
    batch.add_argument(
        "--poll-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --provider-batch: seconds between checks of the batch (default 30)",
    )
    _common_engine_args(batch)

    sub.add_parser("schema", help="print the JSON Schema of the Feedback result", parents=[verbose])

    cache = sub.add_parser("cache", help="show or clear the LLM cache file", parents=[verbose])
    cache.add_argument("action", choices=["info", "clear"])
    cache.add_argument("--cache", metavar="FILE", help="the cache file (default: from settings)")
    cache.add_argument("--config", metavar="FILE", help="settings file")

    coach = sub.add_parser(
        "coach", help="revise a draft with feedback, interactively", parents=[verbose]
    )
    coach.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    _common_engine_args(coach)
    return parser


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill what the flags left unset from the settings files; lists add up."""
    from .api import DEFAULT_MAX_CHARS
    from .settings import resolve_settings

    cfg = resolve_settings(getattr(args, "config", None))
    args.disable = [*cfg.disable, *args.disable]
    args.rules = [*cfg.rules, *args.rules]
    if args.command == "rules":  # which rules load is all that matters there
        return
    args.backend = args.backend or cfg.backend or "auto"
    for flag, value in (
        ("model", cfg.model),
        ("base_url", cfg.base_url),
        ("mode", cfg.mode),
        ("timeout", cfg.timeout),
        ("max_retries", cfg.max_retries),
        ("prompts", cfg.prompts),
        ("cache", cfg.cache),
    ):
        if getattr(args, flag, None) is None:
            setattr(args, flag, value)
    args.max_chars = args.max_chars or cfg.max_chars or DEFAULT_MAX_CHARS
    args.fallback = (
        False if args.no_fallback else (cfg.fallback if cfg.fallback is not None else True)
    )


def _engine_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "max_chars": args.max_chars,
        "disable": args.disable,
        "rules": args.rules,
        "model": args.model,
        "base_url": args.base_url,
        "mode": args.mode,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "prompts_dir": args.prompts,
        "cache": args.cache,
        "fallback": args.fallback,
    }


def _use_color(choice: str, stream: TextIO) -> bool:
    """``always`` wins over everything; ``auto`` means a terminal without ``NO_COLOR``."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _failed(results: Sequence[Checked], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    if fail_on == "not-ready":
        return any(r.feedback.verdict != "ready" for r in results)
    # A disputed finding (the model did not confirm it) is shown, not scored, not a failure.
    return any(not p.disputed for r in results for p in r.feedback.problems)


def _cmd_check(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Every file is critiqued and reported by name; one that cannot be read is an error
    line on stderr (exit 2 at the end) and the others are still reported."""
    from .inputs import display_name, expand, read_text

    situation = args.situation
    if args.situation_file:
        situation = read_text(args.situation_file, args.max_chars, stdin, what="situation")
    critic = _critic(args)
    results: list[Checked] = []
    unreadable = 0
    for name in expand(args.files):
        try:
            draft = read_text(name, args.max_chars, stdin)
            results.append(Checked(display_name(name), critic(draft, situation)))
        except InvalidDraftError as exc:
            message = str(exc)
            shown = display_name(name)
            if not message.startswith(shown + ":"):
                message = f"{shown}: {message}"
            stderr.write(f"allyfeedback: error: {message}\n")
            unreadable += 1
    if results:
        write_results(
            results,
            args.format,
            stdout,
            color=_use_color(args.color, stdout),
            quiet=args.quiet,
        )
    if unreadable:
        return EXIT_USAGE
    return EXIT_PROBLEMS if _failed(results, args.fail_on) else EXIT_OK


def _cmd_rules(args: argparse.Namespace, stdout: TextIO) -> int:
    from .ruleset import load_ruleset

    rs = load_ruleset(args.rules, args.disable)
    if args.test:
        from .rule_examples import check_ruleset, summary

        failures = check_ruleset(rs, args.rules)
        if args.format == "json":
            lines = [str(f) for f in failures]
            stdout.write(json.dumps({"rules": len(rs), "failures": lines}, indent=2) + "\n")
        else:
            stdout.writelines(f"FAIL {f}\n" for f in failures)
            stdout.write(summary(rs, failures) + "\n")
        return EXIT_PROBLEMS if failures else EXIT_OK
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "category": r.category,
                "severity": r.severity if r.is_problem else None,
                "source": r.source,
                "origin": r.origin,
                "message": r.message,
            }
            for r in rs
        ]
        stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max(len(r.id) for r in rs) if len(rs) else 10
    for r in rs:
        stdout.write(f"{r.id:<{width}}  {r.category:<18}  {r.source}\n")
    stdout.write(f"\n{len(rs)} rules\n")
    return EXIT_OK


def _critique_here(text: str, situation: str | None, **options: Any) -> Feedback:
    """``critique``, with the command line's hint for a too-long draft. A module-level
    function, so that ``batch --jobs`` can send it to worker processes."""
    from .api import critique

    try:
        return critique(text, situation, **options)
    except DraftTooLongError as exc:  # the library's hint is for Python callers
        raise DraftTooLongError(_MAX_CHARS_HINT.sub("--max-chars N", str(exc))) from None


def _critic(args: argparse.Namespace) -> Callable[[str, str | None], Feedback]:
    """``critique`` with the engine settings of this command line."""
    return partial(_critique_here, backend=args.backend, **_engine_options(args))  # type: ignore[arg-type]


def _cmd_eval(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from .evaluation import evaluate, load_examples

    examples = load_examples(args.file)
    if args.backend == "llm":  # rules, the model's raw answer and the merge side by side
        from .comparison import compare

        side = compare(examples, _engine_options(args))
        out = json.dumps(side.as_dict(), indent=2) if args.format == "json" else side.to_text()
        stdout.write(out + "\n")
        return _against_min_f1(args, side.merged, stderr)  # --min-f1 holds the merged result
    try:
        report = evaluate(examples, _critic(args), by=args.by)
    except AllyFeedbackError as exc:  # a draft the engine refused: say which file
        raise type(exc)(f"{args.file}: {exc}") from None
    if args.format == "json":
        data = report.as_dict()
        if args.errors:
            data["errors"] = [{"id": i, "missed": m, "extra": x} for i, m, x in report.errors]
        stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        stdout.write(report.to_text() + "\n")
        for by in args.by:
            stdout.write("\n" + report.groups_text(by) + "\n")
        if args.errors:
            for i, missed, extra in report.errors:
                stdout.write(f"{i}: missed {missed or '-'}; extra {extra or '-'}\n")
    return _against_min_f1(args, report, stderr)


def _against_min_f1(args: argparse.Namespace, report: Report, stderr: TextIO) -> int:
    """The exit code for ``eval --min-f1``: 1 below it (or with nothing to measure)."""
    if args.min_f1 is not None and not report.micro.measured:
        stderr.write("allyfeedback: no label to measure, so no F1 to hold to --min-f1\n")
        return EXIT_PROBLEMS
    if args.min_f1 is not None and report.micro_f1 < args.min_f1:
        # On stderr too, so a CI log says why the step failed.
        stderr.write(f"allyfeedback: micro F1 {report.micro_f1:.3f} is below {args.min_f1}\n")
        return EXIT_PROBLEMS
    return EXIT_OK


def _rules_only(args: argparse.Namespace) -> bool:
    """Whether this command runs the rule engine alone (so a batch can use processes),
    decided as ``critique_many`` decides it."""
    from .api import _would_use_llm

    if args.backend != "auto":
        return bool(args.backend == "rules")
    return not _would_use_llm(_engine_options(args))


def _cmd_batch(args: argparse.Namespace, stderr: TextIO) -> int:
    from .batch import run_batch
    from .parallel import check_jobs

    def bad_line(line: BadLine) -> None:
        stderr.write(f"allyfeedback: {args.input}:{line.line}: skipped: {line.message}\n")
        stderr.flush()

    if args.provider_batch:
        return _cmd_provider_batch(args, stderr, bad_line)
    rules_only = _rules_only(args)
    if args.jobs is not None and args.jobs != 1 and not rules_only:
        raise AllyFeedbackError(
            "--jobs runs the rule engine in processes; for the LLM engine use --concurrency"
        )
    critic = _critic(args)
    try:
        report = run_batch(
            args.input,
            args.out,
            critic,
            progress=stderr if stderr.isatty() else None,
            concurrency=args.concurrency,
            # One per core unless threads were asked for (both at once is refused).
            jobs=check_jobs(args.jobs)
            if rules_only and (args.jobs is not None or args.concurrency == 1)
            else 1,
            on_bad_line=bad_line,
        )
    except OSError as exc:
        raise AllyFeedbackError(
            f"cannot read or write {exc.filename or args.out}: {exc.strerror or exc}"
        ) from None
    return _batch_summary(report, stderr)


def _batch_summary(report: BatchReport, stderr: TextIO) -> int:
    fell_back = f", {report.fallbacks} fell back to the rules" if report.fallbacks else ""
    stderr.write(
        f"{report.written} written, {report.skipped} already done, "
        f"{report.failed} failed, {len(report.bad_lines)} bad lines{fell_back}\n"
    )
    return EXIT_PROBLEMS if report.bad_lines or report.failed else EXIT_OK


def _cmd_provider_batch(
    args: argparse.Namespace, stderr: TextIO, bad_line: Callable[[BadLine], None]
) -> int:
    from .config import LLMConfig
    from .provider_batch import run_provider_batch

    if args.backend != "llm":
        raise AllyFeedbackError("--provider-batch sends drafts to a model: add --backend llm")
    flat = {
        "model": args.model,
        "base_url": args.base_url,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "mode": args.mode,
        "prompts_dir": args.prompts,
    }

    def status(message: str) -> None:
        stderr.write(f"allyfeedback: {message}\n")
        stderr.flush()

    try:
        report = run_provider_batch(
            args.input,
            args.out,
            llm=LLMConfig(**{k: v for k, v in flat.items() if v is not None}),
            disable=args.disable,
            rules=args.rules,
            max_chars=args.max_chars,
            fallback=args.fallback,
            poll_every=args.poll_every,
            progress=stderr if stderr.isatty() else None,
            on_status=status,
            on_bad_line=bad_line,
        )
    except KeyboardInterrupt:
        status("the batch goes on at the provider: run the same command again to collect it")
        raise
    return _batch_summary(report, stderr)


def _cmd_coach(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from .coach import run_coach

    critic = _critic(args)
    color = _use_color(args.color, stdout)
    if not hasattr(stdin, "buffer"):  # an in-memory stream, already text
        return run_coach(stdin, stdout, critic, color=color, max_chars=args.max_chars)
    # Undecodable bytes arrive as escapes the coach names, whatever the locale says.
    text = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="surrogateescape")
    try:
        return run_coach(text, stdout, critic, color=color, max_chars=args.max_chars)
    finally:
        text.detach()  # leave the process's stdin open


def _cmd_cache(args: argparse.Namespace, stdout: TextIO) -> int:
    from .cache import open_cache
    from .settings import resolve_settings

    path = args.cache or resolve_settings(args.config).cache
    if not path:
        raise AllyFeedbackError("no cache file: pass --cache FILE or set cache in your settings")
    store = open_cache(path)
    if args.action == "clear":
        stdout.write(f"{store.clear()} cached critiques deleted from {store.path}\n")
    else:
        info = store.info()
        stdout.write(f"{info['path']}: {info['entries']} cached critiques, {info['bytes']} bytes\n")
    return EXIT_OK


def _cmd_schema(stdout: TextIO) -> int:
    from .models import Feedback

    stdout.write(json.dumps(Feedback.model_json_schema(), indent=2) + "\n")
    return EXIT_OK


@contextmanager
def _logging_to(stderr: TextIO, verbosity: int) -> Iterator[None]:
    """The "allyfeedback" logger on ``stderr`` while a command runs: warnings always,
    ``-v`` adds what the library does, ``-vv`` debugging detail. Log lines read
    ``allyfeedback: LEVEL: message``, with control characters from a draft or a model
    shown as escapes, never acted on by the terminal."""
    import logging

    class SafeFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return terminal_safe(super().format(record))

    logger = logging.getLogger("allyfeedback")
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(SafeFormatter("allyfeedback: %(levelname)s: %(message)s"))
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    before = logger.level
    logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


def _may_log(args: argparse.Namespace, rules_only: bool) -> bool:
    """Whether to show the library's log: always with ``-v``; otherwise when the command
    may reach the code that warns (the model's path: ``llm.py``, ``merge.py``, the API's
    fallback; and the critique cache). The rule engine alone warns of nothing, and
    setting up logging would import it at every ``check``, about 5 ms of a start
    (docs/performance.md)."""
    if args.verbose:
        return True
    if args.command in _ENGINE_COMMANDS:
        return not rules_only
    return bool(args.command == "cache")


def _run(
    args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO, own_process: bool
) -> int:
    if args.command in (*_ENGINE_COMMANDS, "rules"):
        _apply_settings(args)
    rules_only = args.command in _ENGINE_COMMANDS and _rules_only(args)
    if own_process and args.command == "check" and rules_only:
        _collect_no_garbage()
    logs = _may_log(args, rules_only)
    with _logging_to(stderr, args.verbose) if logs else contextlib.nullcontext():
        return _command(args, stdin, stdout, stderr)


def _command(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    if args.command == "check":
        return _cmd_check(args, stdin, stdout, stderr)
    if args.command == "rules":
        return _cmd_rules(args, stdout)
    if args.command == "batch":
        return _cmd_batch(args, stderr)
    if args.command == "schema":
        return _cmd_schema(stdout)
    if args.command == "cache":
        return _cmd_cache(args, stdout)
    if args.command == "coach":
        return _cmd_coach(args, stdin, stdout)
    return _cmd_eval(args, stdout, stderr)


def run() -> int:
    """The ``allyfeedback`` program (the console script, ``python -m allyfeedback``):
    ``main`` in a process of its own."""
    return main(own_process=True)


def _collect_no_garbage() -> None:
    """In a process of its own, ``check`` with the rule engine alone switches the
    garbage collector off: almost everything it allocates (modules, the rule set, the
    learned model) lives to its end, so the collector's passes found nothing to free,
    about 5 % of a check's instructions (docs/performance.md). A critique makes no
    reference cycles (tests/test_cli.py checks), so memory stays flat over any
    number of files. Other commands, and the model's path (its HTTP client makes
    cycles), keep it on."""
    gc.disable()


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    *,
    own_process: bool = False,
) -> int:
    """Run one command; return its exit code. ``own_process``: the process exists for
    this command alone (``run``), so it may set process-wide things."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:  # usage errors, --help and --version go to the streams given, as a return code
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(stderr)
        return EXIT_USAGE
    try:
        return _run(args, stdin, stdout, stderr, own_process)
    except KeyboardInterrupt:
        stderr.write("allyfeedback: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except (AllyFeedbackError, TypeError, ValueError) as exc:
        stderr.write(f"allyfeedback: error: {terminal_safe(_one_line(str(exc)))}\n")
        return EXIT_USAGE
    except OSError as exc:  # a file that vanished or a full disk: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        stderr.write(f"allyfeedback: error: {where}{exc.strerror or exc}\n")
        return EXIT_USAGE


def _one_line(message: str) -> str:
    return " ".join(message.split())
