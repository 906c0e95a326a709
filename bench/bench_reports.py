"""Time the report writers of ``cli.write_reports`` (and the terminal summary) on a stored report.

A re-run over unchanged records spends most of its time writing reports (issue 6), so this
measures just that: a report.json (from a run, or generated) is written into an SQLite file
with ``reports.rows.store_report`` as the pipeline would, then each writer runs ``--runs``
times over the same ``StoredReport``: ``write_json``, ``write_html``, the Markdown file and the
terminal summary. Medians are printed per writer.

With ``--baseline-tree DIR`` (a copy of an older checkout: ``git archive HEAD | tar -x -C DIR``)
a second worker imports ``linkcheck`` from DIR; both workers build their own store, then run
in turns (one round each, alternating), so a busy machine slows both alike. Each worker's
outputs are hashed on the first round and the two trees' hashes compared: the writers must
stay byte-identical.

    .venv/bin/python bench/bench_reports.py --report /tmp/r10k.json --runs 5 \\
        --baseline-tree /tmp/wbase
    .venv/bin/python bench/bench_reports.py --generate 20000 --runs 3

``total`` is the four writers; ``--time-store`` adds ``store``: ``store_report`` into a fresh
file each round, i.e. what writing the rows costs (the pipeline's ``write_report_rows``
builds the same rows), since work moved from the writers to the rows must be counted.

Each worker is a subprocess reading one command a line on stdin (``run``), answering one JSON
line on stdout; nothing touches the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRITERS = ("json", "html", "markdown", "terminal")


def _connect(path: Path) -> Any:
    """The report store opened as the pipeline opens it (same pragmas), when the tree has it."""
    import sqlite3

    try:
        from linkcheck.store.work import _connect as connect
    except ImportError:
        return sqlite3.connect(path)
    return connect(path)


def _load(args: argparse.Namespace) -> dict[str, Any]:
    if args.report:
        import orjson

        return orjson.loads(Path(args.report).read_bytes())
    sys.path.insert(0, str(ROOT))  # tests.reportgen lives in this checkout only
    from tests.reportgen import make_report

    n = args.generate
    return make_report(n * 10, n_records=n)


def worker(args: argparse.Namespace) -> None:
    """Build the store with the tree's own code, then time one round per ``run`` line."""
    sys.path.insert(0, str(Path(args.tree).resolve()))
    import gc

    import linkcheck
    from linkcheck.output import write_atomic
    from linkcheck.reports.html import write_html
    from linkcheck.reports.json import write_json
    from linkcheck.reports.markdown import render_markdown
    from linkcheck.reports.rows import store_report
    from linkcheck.reports.terminal import render_terminal_summary
    from linkcheck.store.report import ReportTables

    assert Path(linkcheck.__file__).resolve().is_relative_to(Path(args.tree).resolve())
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    report = _load(args)
    db = _connect(work / "report.sqlite")
    start = time.perf_counter()
    with db:
        stored = store_report(report, ReportTables(db))
    store_s = time.perf_counter() - start
    counts = (len(report.get("urls") or ()), len(report.get("records") or ()))
    if not args.time_store:
        del report
    gc.collect()
    _answer({"tree": str(linkcheck.__file__), "store_s": store_s, "counts": counts})

    def markdown() -> Path:
        text = render_markdown(stored, max_rows=50)
        return write_atomic(work / "report.md", text.encode("utf-8", "replace"))

    steps = {
        "json": lambda: write_json(stored, work / "report.json"),
        "html": lambda: write_html(stored, work / "report.html"),
        "markdown": markdown,
        "terminal": lambda: render_terminal_summary(stored, color=False),
    }
    first = True
    for line in sys.stdin:
        if line.strip() != "run":
            break
        times: dict[str, Any] = {}
        hashes: dict[str, str] = {}
        gc.disable()  # as cli.write_reports does
        try:
            for name in WRITERS:
                start = time.perf_counter()
                result = steps[name]()
                times[name] = time.perf_counter() - start
                if first:
                    data = result.read_bytes() if isinstance(result, Path) else result.encode()
                    hashes[name] = hashlib.sha256(data).hexdigest()
        finally:
            gc.enable()
        first = False
        if args.time_store:
            # The rows again, into a fresh file: what the pipeline's row writing costs.
            again = work / "again.sqlite"
            again.unlink(missing_ok=True)
            other = _connect(again)
            start = time.perf_counter()
            with other:
                store_report(report, ReportTables(other))
            times["store"] = time.perf_counter() - start
            other.close()
        _answer({"times": times, "hashes": hashes})
    db.close()


def _answer(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


class Worker:
    """A worker subprocess for one tree."""

    def __init__(self, label: str, tree: Path, args: argparse.Namespace) -> None:
        self.label = label
        source = ["--report", args.report] if args.report else ["--generate", str(args.generate)]
        store = ["--time-store"] if args.time_store else []
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--tree", str(tree), *source, *store],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready = self._read()
        self.rounds: list[dict[str, float]] = []
        self.hashes: dict[str, str] = {}

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label}: worker ended (exit {self.proc.wait()})")
        return json.loads(line)

    def run(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        answer = self._read()
        self.rounds.append(answer["times"])
        self.hashes = self.hashes or answer["hashes"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)

    def median(self, name: str) -> float:
        if name == "total":
            return statistics.median(sum(r[w] for w in WRITERS) for r in self.rounds)
        return statistics.median(r[name] for r in self.rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--report", help="a report.json to store and render")
    source.add_argument("--generate", type=int, help="generate a report of N records, 10N URLs")
    parser.add_argument("--runs", type=int, default=5, help="rounds per tree (medians)")
    parser.add_argument("--baseline-tree", type=Path, help="an older tree to compare against")
    parser.add_argument(
        "--time-store",
        action="store_true",
        help="also time store_report (the rows, as the pipeline writes them) each round",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    workers = [Worker("this tree", ROOT, args)]
    if args.baseline_tree:
        workers.insert(0, Worker("baseline", args.baseline_tree, args))
    urls, records = workers[-1].ready["counts"]
    print(f"{urls} URL entries, {records} record entries; {args.runs} rounds per tree")
    for w in workers:
        print(f"  {w.label}: {w.ready['tree']}  (store_report {w.ready['store_s']:.2f} s)")
    for _ in range(args.runs):
        for w in workers:
            w.run()
    for w in workers:
        w.close()

    names = (*WRITERS, "total", *(("store",) if args.time_store else ()))
    print(f"\n{'median s':<10}" + "".join(f"{w.label:>12}" for w in workers), end="")
    print(f"{'ratio':>9}" if len(workers) == 2 else "")
    for name in names:
        cells = "".join(f"{w.median(name):>12.3f}" for w in workers)
        ratio = ""
        if len(workers) == 2 and workers[1].median(name) > 0:
            ratio = f"{workers[0].median(name) / workers[1].median(name):>8.2f}x"
        print(f"{name:<10}{cells}{ratio}")
    if len(workers) == 2:
        differ = [n for n in WRITERS if workers[0].hashes[n] != workers[1].hashes[n]]
        print("\noutputs: " + (f"DIFFER in {', '.join(differ)}" if differ else "byte-identical"))
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
