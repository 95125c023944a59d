"""Command line, following linter conventions (proselint, Vale).

Exit codes:
    0  no problems found (``check``), or the command succeeded
    1  problems found (``check``); bad lines or failed drafts (``batch``)
    2  usage or input error: a one-line message on stderr, no traceback
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import AllyFeedbackError

if TYPE_CHECKING:
    from .models import Feedback

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common_engine_args(p: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--version", action="version", version=f"allyfeedback {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="critique a draft from a file or stdin")
    check.add_argument("file", nargs="?", default="-", help="draft file, or - for stdin")
    check.add_argument("--situation", metavar="TEXT", help="what happened, in a sentence")
    check.add_argument("--situation-file", metavar="FILE", help="read the situation from a file")
    check.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    check.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour in text output (auto: only on a terminal, and not when NO_COLOR is set)",
    )
    check.add_argument(
        "--max-chars",
        type=int,
        default=None,
        metavar="N",
        help="longest draft accepted (default 10000)",
    )
    _common_engine_args(check)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--rules", action="append", default=[], metavar="FILE")
    rules.add_argument("--disable", action="append", default=[], metavar="ID")
    rules.add_argument(
        "--test",
        action="store_true",
        help="run every loaded rule's own examples; exit 1 if any fails",
    )

    ev = sub.add_parser("eval", help="precision, recall and F1 on a labelled JSONL file")
    ev.add_argument("file", help="JSONL with text, situation, problems, elements")
    ev.add_argument("--format", choices=["text", "json"], default="text")
    ev.add_argument("--errors", action="store_true", help="also list the drafts it got wrong")
    _common_engine_args(ev)

    batch = sub.add_parser(
        "batch", help="critique a JSONL file of drafts (id, text, situation) into JSONL, resumably"
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
    _common_engine_args(batch)

    sub.add_parser("schema", help="print the JSON Schema of the Feedback result")

    cache = sub.add_parser("cache", help="show or clear the LLM cache file")
    cache.add_argument("action", choices=["info", "clear"])
    cache.add_argument("--cache", metavar="FILE", help="the cache file (default: from settings)")
    cache.add_argument("--config", metavar="FILE", help="settings file")

    coach = sub.add_parser("coach", help="revise a draft with feedback, interactively")
    coach.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    _common_engine_args(coach)
    return parser


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill what the flags left unset from the settings files; lists add up."""
    from .api import DEFAULT_MAX_CHARS
    from .settings import resolve_settings

    cfg = resolve_settings(getattr(args, "config", None))
    args.backend = args.backend or cfg.backend or "auto"
    args.disable = [*cfg.disable, *args.disable]
    args.rules = [*cfg.rules, *args.rules]
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
    # Only `check` has --max-chars; the settings file's limit holds for every command.
    args.max_chars = getattr(args, "max_chars", None) or cfg.max_chars or DEFAULT_MAX_CHARS
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


def _read(path: str, stdin: TextIO) -> str:
    if path == "-":
        if stdin.isatty():
            raise AllyFeedbackError("no draft given: pass a FILE or pipe the draft on stdin")
        data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise AllyFeedbackError(f"cannot read {path}: {exc.strerror or exc}") from None
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AllyFeedbackError(f"{path}: not UTF-8 text") from None


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _cmd_check(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    draft = _read(args.file, stdin)
    situation = args.situation
    if args.situation_file:
        situation = _read(args.situation_file, stdin)
    fb = _critic(args)(draft, situation)
    if args.format == "json":
        stdout.write(fb.model_dump_json(indent=2) + "\n")
    elif args.format == "markdown":
        stdout.write(fb.to_markdown())
    else:
        stdout.write(fb.to_text(color=_use_color(args.color, stdout)))
    return EXIT_PROBLEMS if fb.problems else EXIT_OK


def _cmd_rules(args: argparse.Namespace, stdout: TextIO) -> int:
    from .ruleset import load_ruleset

    rs = load_ruleset(args.rules, args.disable)
    if args.test:
        from .engine import example_failures

        failures = example_failures(rs)
        if args.format == "json":
            stdout.write(json.dumps({"rules": len(rs), "failures": failures}, indent=2) + "\n")
        else:
            stdout.writelines(f"FAIL {f}\n" for f in failures)
            total = sum(len(r.examples_match) + len(r.examples_no_match) for r in rs)
            stdout.write(f"{total - len(failures)}/{total} examples pass in {len(rs)} rules\n")
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


def _critic(args: argparse.Namespace) -> Callable[[str, str | None], Feedback]:
    """``critique`` with the engine settings of this command line."""
    from .api import critique

    options = _engine_options(args)

    def critic(text: str, situation: str | None) -> Feedback:
        return critique(text, situation, backend=args.backend, **options)  # type: ignore[arg-type]

    return critic


def _cmd_eval(args: argparse.Namespace, stdout: TextIO) -> int:
    from .evaluation import evaluate, load_examples

    if args.backend == "llm":  # rules, the model's raw answer and the merge side by side
        from .comparison import compare

        side = compare(load_examples(args.file), _engine_options(args))
        out = json.dumps(side.as_dict(), indent=2) if args.format == "json" else side.to_text()
        stdout.write(out + "\n")
        return EXIT_OK
    report = evaluate(load_examples(args.file), _critic(args))
    if args.format == "json":
        data = report.as_dict()
        if args.errors:
            data["errors"] = [{"id": i, "missed": m, "extra": x} for i, m, x in report.errors]
        stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        stdout.write(report.to_text() + "\n")
        if args.errors:
            for i, missed, extra in report.errors:
                stdout.write(f"{i}: missed {missed or '-'}; extra {extra or '-'}\n")
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace, stderr: TextIO) -> int:
    from .batch import run_batch

    try:
        report = run_batch(
            args.input,
            args.out,
            _critic(args),
            progress=stderr if stderr.isatty() else None,
            concurrency=args.concurrency,
        )
    except OSError as exc:
        raise AllyFeedbackError(f"cannot read or write: {exc.strerror or exc}") from None
    for lineno, message in report.bad_lines:
        stderr.write(f"allyfeedback: {args.input}:{lineno}: skipped: {message}\n")
    stderr.write(
        f"{report.written} written, {report.skipped} already done, "
        f"{report.failed} failed, {len(report.bad_lines)} bad lines\n"
    )
    return EXIT_PROBLEMS if report.bad_lines or report.failed else EXIT_OK


def _cmd_coach(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from .coach import run_coach

    return run_coach(stdin, stdout, _critic(args), color=_use_color(args.color, stdout))


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


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stderr)
        return EXIT_USAGE
    try:
        if args.command in ("check", "eval", "batch", "coach"):
            _apply_settings(args)
        if args.command == "check":
            return _cmd_check(args, stdin, stdout)
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
        return _cmd_eval(args, stdout)
    except KeyboardInterrupt:
        stderr.write("allyfeedback: interrupted\n")
        return EXIT_INTERRUPTED
    except (AllyFeedbackError, TypeError, ValueError) as exc:
        stderr.write(f"allyfeedback: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
