"""Time `linkcheck links` over generated seed-like records: read + extract + de-duplicate.

Generates the records first when the folder does not hold them yet (bench/gen_records.py),
then times the in-process path (read_inputs -> extract_links -> unique_checks) several
times, and the real CLI (`linkcheck links DIR --format json`) in a subprocess, and prints
the median records per second of each.

    python bench/bench_links.py --count 10000 --repeat 5
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from gen_records import generate  # noqa: E402

from linkcheck import urls  # noqa: E402
from linkcheck.links import extract_all, unique_checks  # noqa: E402
from linkcheck.records import read_inputs  # noqa: E402
from linkcheck.site import site_base_url  # noqa: E402


def ensure_records(count: int, folder: Path) -> Path:
    marker = folder / ".count"
    if not (marker.is_file() and marker.read_text() == str(count)):
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        generate(count, folder)
        print(f"generated {count} records in {time.perf_counter() - started:.1f} s")
    return folder


def in_process(folder: Path) -> tuple[float, float, int, int, int]:
    urls.clear_cache()  # each repetition starts cold, as a CLI run does
    started = time.perf_counter()
    cpu = time.process_time()
    paths = [str(folder)]
    read = read_inputs(paths)
    base = site_base_url(paths, None)
    links = [link for refs in extract_all(read.records, base).values() for link in refs]
    checks = unique_checks(links)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if read.errors:
        raise SystemExit(f"unexpected read errors: {read.errors[:3]}")
    return elapsed, cpu, len(read.records), len(links), len(checks)


def via_cli(folder: Path) -> float | None:
    # `python -c` rather than the console script: it works from a source checkout too.
    code = "import sys; from linkcheck.cli import main; sys.exit(main())"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "links", str(folder), "--format", "json"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=600,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"cli: not run ({exc})")
        return None
    if done.returncode != 0:
        print(f"cli: exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
        return None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default=None, help="records folder (default: a temp folder)")
    parser.add_argument("--no-cli", action="store_true", help="time the in-process path only")
    args = parser.parse_args()
    default = Path(tempfile.gettempdir()) / "linkcheck-bench" / f"records-{args.count}"
    folder = ensure_records(args.count, Path(args.dir) if args.dir else default)

    times, cpus = [], []
    for _ in range(args.repeat):
        elapsed, cpu, records, links, unique = in_process(folder)
        times.append(elapsed)
        cpus.append(cpu)
        print(
            f"in-process: {records} records, {links} links, {unique} unique URLs "
            f"in {elapsed:.2f} s ({records / elapsed:,.0f} records/s, CPU {cpu:.2f} s)"
        )
    median = statistics.median(times)
    cpu = statistics.median(cpus)
    # CPU time shows the code's own speed when other work shares the machine.
    print(
        f"in-process median: {args.count / median:,.0f} records/s ({median:.2f} s wall); "
        f"by CPU time {args.count / cpu:,.0f} records/s"
    )

    if args.no_cli:
        return
    cli_times = [t for t in (via_cli(folder) for _ in range(args.repeat)) if t is not None]
    if cli_times:
        median = statistics.median(cli_times)
        print(
            f"cli `linkcheck links` median: {args.count / median:,.0f} records/s "
            f"({median:.2f} s, {len(cli_times)} runs)"
        )


if __name__ == "__main__":
    main()
