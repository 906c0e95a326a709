"""Time the real `linkcheck links` CLI over generated seed-like records, and where its time goes.

Generates the records first when the folder does not hold them yet (bench/gen_records.py).
The headline is the CLI itself, `linkcheck links DIR` in a subprocess, timed from start to
exit with its output written to a file (checked: the closing line must count every record),
repeated; the median wins. CPU time (the CLI's and its worker processes') is shown too: on a
shared machine wall time depends on the neighbours, CPU time much less.

Then the same work in-process, stage by stage, each repetition from a cold URL cache: read
(files -> records), extract (records -> links), unique (links -> checks), format (links ->
text), plus the CLI's start-up (the CLI over an empty folder).

    python bench/bench_links.py --count 10000 --repeat 5
    LINKCHECK_WORKERS=1 python bench/bench_links.py   # all in one process, for comparison
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from gen_records import generate  # noqa: E402

from linkcheck.inputs import urls  # noqa: E402
from linkcheck.inputs.links import (  # noqa: E402
    extract_all,
    format_links_json,
    format_links_text,
    unique_checks,
)
from linkcheck.inputs.parallel import process_count  # noqa: E402
from linkcheck.inputs.records import read_inputs  # noqa: E402
from linkcheck.inputs.site import site_base_url  # noqa: E402


def ensure_records(count: int, folder: Path) -> Path:
    marker = folder / ".count"
    if not (marker.is_file() and marker.read_text() == str(count)):
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        generate(count, folder)
        print(f"generated {count} records in {time.perf_counter() - started:.1f} s")
    return folder


# ---------------------------------------------------------------- the real CLI


def cli_command(folder: Path, fmt: str) -> list[str]:
    """The installed console script beside this Python, else the module through this Python."""
    script = Path(sys.executable).with_name("linkcheck")
    head = [str(script)] if script.is_file() else [sys.executable, "-m", "linkcheck.cli"]
    return [*head, "links", str(folder), *(["--format", "json"] if fmt == "json" else [])]


def run_cli(command: list[str], out: Path) -> tuple[float, float] | str:
    """(wall s, CPU s) of one run, or why it failed. CPU counts the CLI's worker processes."""
    before = os.times()
    started = time.perf_counter()
    try:
        with out.open("wb") as sink:
            done = subprocess.run(
                command, cwd=ROOT, stdout=sink, stderr=subprocess.PIPE, timeout=900, check=False
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"not run ({exc})"
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}"
    return wall, cpu


def closing_line(out: Path) -> str:
    with out.open("rb") as f:
        f.seek(max(0, out.stat().st_size - 4096))
        return f.read().decode(errors="replace").rstrip("\n").rsplit("\n", 1)[-1]


def bench_cli(folder: Path, count: int, repeat: int, fmt: str) -> list[tuple[float, float]]:
    command = cli_command(folder, fmt)
    print(f"cli: {' '.join(command)}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"links.{fmt}"
        for _ in range(repeat):
            got = run_cli(command, out)
            if isinstance(got, str):
                print(f"  failed: {got}")
                continue
            wall, cpu = got
            last = closing_line(out) if fmt == "text" else ""
            if fmt == "text" and not last.endswith(f" in {count} records"):
                print(f"  wrong output, last line: {last!r}")
                continue
            runs.append((wall, cpu))
            print(
                f"  {wall:.2f} s ({count / wall:,.0f} records/s), CPU {cpu:.2f} s  {last}".rstrip()
            )
    return runs


def bench_startup(repeat: int) -> float | None:
    """The CLI over an empty folder: imports, config, argument parsing."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        times = []
        for _ in range(repeat):
            got = run_cli(cli_command(empty, "text"), Path(tmp) / "out.txt")
            if isinstance(got, tuple):
                times.append(got[0])
    return statistics.median(times) if times else None


# ---------------------------------------------------------------- in-process stages


def timed(stages: dict[str, list[float]], name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    stages.setdefault(name, []).append(time.perf_counter() - started)
    return result


def in_process(folder: Path, fmt: str, stages: dict[str, list[float]]) -> tuple[int, int, int]:
    urls.clear_cache()  # each repetition starts cold, as a CLI run does
    paths = [str(folder)]
    read = timed(stages, "read", lambda: read_inputs(paths))
    if read.errors:
        raise SystemExit(f"unexpected read errors: {read.errors[:3]}")
    base = site_base_url(paths, None)
    by_record = timed(stages, "extract", lambda: extract_all(read.records, base))
    links = [link for refs in by_record.values() for link in refs]
    checks = timed(stages, "unique", lambda: unique_checks(links))
    render = format_links_json if fmt == "json" else format_links_text
    timed(stages, "format", lambda: render(links, records=len(read.records)))
    return len(read.records), len(links), len(checks)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="records (up to 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--dir", default=None, help="records folder (default: a temp folder)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--no-cli", action="store_true", help="the in-process stages only")
    parser.add_argument("--no-stages", action="store_true", help="the CLI only")
    args = parser.parse_args()
    if not 0 < args.count <= 100_000:
        parser.error("--count must be between 1 and 100000")
    default = Path(tempfile.gettempdir()) / "linkcheck-bench" / f"records-{args.count}"
    folder = ensure_records(args.count, Path(args.dir) if args.dir else default)
    print(f"{args.count} records in {folder}; {process_count()} reading process(es)")

    summary = []
    if not args.no_cli:
        runs = bench_cli(folder, args.count, args.repeat, args.format)
        if runs:
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            summary.append(
                f"cli `linkcheck links` median: {args.count / wall:,.0f} records/s "
                f"({wall:.2f} s wall, range {min(w for w, _ in runs):.2f}-"
                f"{max(w for w, _ in runs):.2f} s, {len(runs)} runs); CPU {cpu:.2f} s"
            )
        startup = bench_startup(args.repeat)
        if startup is not None:
            summary.append(f"cli start-up (empty folder) median: {startup:.2f} s")

    if not args.no_stages:
        stages: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            records, links, checks = in_process(folder, args.format, stages)
        medians = {name: statistics.median(times) for name, times in stages.items()}
        total = sum(medians.values())
        parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in medians.items())
        summary.append(
            f"in-process medians: {parts}; total {total:.2f} s "
            f"({args.count / total:,.0f} records/s); {records} records, {links} links, "
            f"{checks} unique URLs"
        )
    print("\n".join(summary))


if __name__ == "__main__":
    main()
