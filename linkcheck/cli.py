"""argv -> Config -> run -> reports -> exit code. The only place that prints or exits.

Exit codes: 0 no link fails the ``fail_on`` rule, 1 some do or an input could not
be read, 2 usage or config errors, 3 a degraded run (the network looked down: nothing
flagged; ``unpublish --apply`` refuses its report), 130 interrupted by Ctrl-C or SIGTERM
(a partial report is still written; interrupts.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linkcheck import __version__, interrupts
from linkcheck.config import Config, load_config
from linkcheck.credentials import mask_text
from linkcheck.errors import LinkcheckError, OutputError, UsageError
from linkcheck.flags import add_config_flags, overrides_from
from linkcheck.reports.textsafe import inert

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_DEGRADED = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linkcheck",
        description="Check every link of a site's article records and report what rotted.",
    )
    parser.add_argument("--version", action="version", version=f"linkcheck {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: ./config.yaml when present)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    links = commands.add_parser("links", help="print every extracted link; fetch nothing")
    links.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    links.add_argument("--format", choices=("text", "json"), default="text")
    add_config_flags(links)

    check = commands.add_parser("check", help="check every unique URL and write the reports")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    add_config_flags(check)

    demo = commands.add_parser(
        "demo", help="check bundled sample records against a built-in local web"
    )
    demo.add_argument("--output-dir", "-o", default=None, help="where reports go (reports/)")

    report = commands.add_parser("report", help="re-render a saved JSON report")
    report.add_argument("report", metavar="REPORT.json")
    report.add_argument("--html", metavar="FILE")
    report.add_argument("--markdown", metavar="FILE")
    report.add_argument("--junit", metavar="FILE")
    report.add_argument("--sarif", metavar="FILE")

    history = commands.add_parser("history", help="a URL's past results")
    history.add_argument("url")
    history.add_argument("--history", dest="cfg:history.path", metavar="PATH")

    runs = commands.add_parser("runs", help="list past runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--history", dest="cfg:history.path", metavar="PATH")

    unpublish = commands.add_parser(
        "unpublish", help="set published: false in flagged records (dry run by default)"
    )
    unpublish.add_argument("report", metavar="REPORT.json")
    unpublish.add_argument("--apply", action="store_true", help="change the files")
    unpublish.add_argument("--base-dir", default=None, help="where record paths are relative to")
    unpublish.add_argument("--log", default=None, help="log file (default: beside the report)")
    unpublish.add_argument(
        "--only", nargs="+", metavar="PATH", help="act only on these flagged records"
    )
    unpublish.add_argument("--skip", nargs="+", metavar="PATH", help="leave these flagged records")
    unpublish.add_argument(
        "--paths-from",
        metavar="FILE",
        help="act only on the records FILE lists (a path a line, or the HTML report's CSV)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        config = load_config(args.config, overrides_from(args))
        if args.command in ("check", "demo"):
            # SIGTERM (CI cancel, timeout, docker stop) like Ctrl-C: a partial report.
            with interrupts.handled():
                return COMMANDS[args.command](args, config)
        return COMMANDS[args.command](args, config)
    except LinkcheckError as exc:
        say(f"linkcheck: error: {exc}", sys.stderr, keep="")
        return EXIT_USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("linkcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def say(text: str, file: Any = None, end: str = "\n", keep: str = "\n") -> None:
    """Print text that may hold record data: its control characters made inert (an ESC
    sequence in a title must not drive the terminal) and the credentials of any URL in it
    masked (a diff of a record file, an error quoting a link: CI logs are widely read)."""
    print(inert(mask_text(text), keep), file=file or sys.stdout, end=end)


def cmd_links(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.inputs.collect import collect_links
    from linkcheck.inputs.links import format_links_json, format_links_text
    from linkcheck.inputs.roots import check_inputs

    check_inputs(args.paths)
    collected = collect_links(args.paths, config)
    for error in collected.read.errors:
        say(f"linkcheck: {error}", sys.stderr, keep="")
    render = format_links_json if args.format == "json" else format_links_text
    say(render(collected.all_links, records=len(collected.read.records)), end="", keep="\n\t")
    return EXIT_USAGE if collected.read.errors else EXIT_OK


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.inputs.roots import check_inputs
    from linkcheck.output import check_output_dir
    from linkcheck.pipeline import run_check

    check_inputs(args.paths)
    check_output_dir(config.output.dir, report_names(config))
    return _check_and_report(lambda progress: run_check(args.paths, config, progress), config)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.demo import run_demo
    from linkcheck.output import check_output_dir

    out = args.output_dir or config.output.dir
    check_output_dir(out, REPORT_NAMES.values())  # the demo writes every format
    code = _check_and_report(lambda progress: run_demo(out, progress), None, out_dir=out)
    print(
        f"demo done: open {Path(out) / 'report.html'} in a browser; "
        f"`linkcheck check` would have exited with {code}"
    )
    # The demo shows failures on purpose; it failed only if it could not finish.
    return EXIT_INTERRUPTED if code == EXIT_INTERRUPTED else EXIT_OK


def _check_and_report(run: Any, config: Config | None, out_dir: str | None = None) -> int:
    from linkcheck.progress import Progress

    progress_mode = config.output.progress if config else "auto"
    with Progress(progress_mode) as progress:
        outcome = run(progress)
    with outcome:  # the report's rows live in the run's work store until written
        return _report_and_exit_code(outcome, out_dir)


def _report_and_exit_code(outcome: Any, out_dir: str | None) -> int:
    """Write the reports, then complete the run in history (a run whose report could not be
    written is not complete), then say what was found."""
    from linkcheck.reports.terminal import render_terminal_summary

    report, config = outcome.report, outcome.config
    written = write_reports(report, config, out_dir)
    outcome.commit()
    errors = report.get("errors") or ()
    for error in errors:
        where = f"{error['source']}:{error['line']}" if error.get("line") else error["source"]
        say(f"linkcheck: {where}: {error['message']}", sys.stderr, keep="")
    print(render_terminal_summary(report, color=sys.stdout.isatty()))  # cleans its own text
    for path in written:
        say(f"wrote {path}", keep="")
    if not report.get("complete", True):
        return EXIT_INTERRUPTED
    if (report.get("run") or {}).get("degraded"):
        return EXIT_DEGRADED  # nothing it says about links can be trusted tonight
    # An unreadable record is a problem found, like a dead link: CI must not stay green.
    problems = failing_count(report) + len(errors)
    return EXIT_FAILURES if problems else EXIT_OK


def failing_count(report: Any) -> int:
    """URLs whose outcome is in fail_on: from the summary's counts, not a walk of the URLs."""
    fail_on = set(report["run"]["config"]["output"]["fail_on"])
    by_outcome = report["summary"]["by_outcome"]
    return sum(int(by_outcome.get(outcome, 0)) for outcome in fail_on)


def write_reports(report: Any, config: Config, out_dir: str | None = None) -> list[Path]:
    """report.json always; the other formats as config.output.formats says.

    ``report`` is a ``Report`` or a plain report dict. Every file is streamed from it
    (atomically: a temp file, fsync, rename), one after the other: a StoredReport's
    SQLite connection belongs to this thread, and no format is held whole in memory.
    """
    from linkcheck.inputs.records import gc_paused
    from linkcheck.reports.json import write_json
    from linkcheck.reports.source import as_report

    report = as_report(report)
    out = Path(out_dir or config.output.dir)
    writers = {"json": write_json, **_renderers(config.output.markdown_max_rows)}
    formats = ["json", *(f for f in config.output.formats if f != "json" and f in writers)]
    # Rendering makes many short-lived objects and no reference cycles: the cyclic
    # collector would only walk the heap over and over, finding nothing.
    written = []
    with gc_paused():
        for fmt in formats:
            target = out / REPORT_NAMES[fmt]
            written.append(_writing(target, writers[fmt], report, target))
    _ci_extras(report, config)
    return written


REPORT_NAMES = {
    "json": "report.json",
    "html": "report.html",
    "markdown": "report.md",
    "junit": "junit.xml",
    "sarif": "report.sarif",
}


def report_names(config: Config) -> list[str]:
    """The files ``check`` writes into the output folder."""
    return ["report.json", *(REPORT_NAMES[f] for f in config.output.formats if f != "json")]


def _writing(target: Path | str, write: Any, *args: Any) -> Any:
    """``write(*args)``; a file that cannot be written (a full disk, a folder in the way) is
    one line and exit code 2, not a traceback after the whole run."""
    try:
        return write(*args)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise OutputError(f"{target}: cannot write: {reason}") from None


def _renderers(max_rows: int) -> dict[str, Any]:
    """Per format, ``writer(report, path) -> Path`` writing the file atomically."""
    from linkcheck.output import write_atomic
    from linkcheck.reports.html import write_html
    from linkcheck.reports.junit import write_junit
    from linkcheck.reports.markdown import render_markdown
    from linkcheck.reports.sarif import write_sarif

    def write_markdown(report: Any, path: str | Path) -> Path:
        # Short (rows capped by max_rows): rendered whole. A lone surrogate from a broken
        # input becomes "?" rather than an unwritable file.
        text = render_markdown(report, max_rows=max_rows)
        return write_atomic(path, text.encode("utf-8", "replace"))

    return {
        "html": write_html,
        "markdown": write_markdown,
        "junit": write_junit,
        "sarif": write_sarif,
    }


def _ci_extras(report: Any, config: Config) -> None:
    """GitHub Actions: the step summary and ``::error`` annotations, when running there."""
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        from linkcheck.reports.markdown import render_markdown

        text = render_markdown(report, max_rows=config.output.markdown_max_rows)
        _writing(summary_path, _append, summary_path, text)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from linkcheck.reports.github import iter_annotations

        for line in iter_annotations(report):
            print(line)


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8", errors="replace") as handle:
        handle.write(text)


def cmd_report(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.reports.source import as_report

    report = as_report(load_report(args.report))
    writers = _renderers(config.output.markdown_max_rows)
    targets = {
        "html": args.html,
        "markdown": args.markdown,
        "junit": args.junit,
        "sarif": args.sarif,
    }
    if not any(targets.values()):
        raise UsageError("report: name at least one of --html, --markdown, --junit, --sarif")
    for fmt, target in targets.items():
        if target:
            say(f"wrote {_writing(target, writers[fmt], report, target)}", keep="")
    return EXIT_OK


def load_report(path: str) -> dict[str, Any]:
    """A saved report, checked against the report's schema before anything reads it: a
    file that is not JSON, not a report, or a report of the wrong shape is one line."""
    from linkcheck.reports.shapecheck import ShapeError, check_report

    try:
        report = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not a JSON report: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, 100,000 deep, 5,000 digits
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise UsageError(f"{path}: not a JSON report: {reason.split(';')[0]}") from None
    if not isinstance(report, dict) or not str(report.get("schema", "")).startswith(
        "linkcheck-report/"
    ):
        raise UsageError(f"{path}: not a linkcheck report (no linkcheck-report schema)")
    try:
        check_report(report)
    except ShapeError as exc:
        raise UsageError(f"{path}: not a linkcheck report of this version: {exc}") from None
    return report


def cmd_history(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.credentials import mask_text
    from linkcheck.store.history import HistoryStore, format_url_history

    with HistoryStore(config.history.path) as store:  # URLs are kept with credentials masked
        say(format_url_history(store.url_history(mask_text(args.url))), end="")
    return EXIT_OK


def cmd_runs(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.store.history import HistoryStore, format_runs

    with HistoryStore(config.history.path) as store:
        say(format_runs(store.list_runs(args.limit)), end="")
    return EXIT_OK


def cmd_unpublish(args: argparse.Namespace, config: Config) -> int:
    from linkcheck.editing.selection import Selection, degraded_report, paths_given, select
    from linkcheck.editing.unpublish import run_unpublish

    report = load_report(args.report)
    if args.apply and degraded_report(report):
        print(f"linkcheck: error: {args.report}: {degraded_report(report)}", file=sys.stderr)
        return EXIT_DEGRADED
    chosen = Selection(paths_given(args.only, args.paths_from), tuple(args.skip or ()))
    report = select(report, chosen, args.base_dir)
    log = args.log or str(Path(args.report).with_name("unpublish.log"))
    text, problems = run_unpublish(report, args.base_dir, apply=args.apply, log_path=log)
    say(text, end="", keep="\n\t")  # a diff of record files: their text, made inert
    return EXIT_FAILURES if problems else EXIT_OK


COMMANDS = {
    "links": cmd_links,
    "check": cmd_check,
    "demo": cmd_demo,
    "report": cmd_report,
    "history": cmd_history,
    "runs": cmd_runs,
    "unpublish": cmd_unpublish,
}


if __name__ == "__main__":
    sys.exit(main())
