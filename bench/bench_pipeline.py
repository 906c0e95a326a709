"""Bench the whole `linkcheck check` (the real CLI, as a subprocess) on a local web.

Generated records (bench/gen_records.py) have every host name rewritten to its
own loopback address (127.1.x.y, one port), served by bench/web.py with latency
and realistic bodies (``--content real``). The bench refuses to run when
`linkcheck links --format json` still shows a URL outside 127.0.0.0/8. It
measures, each a median over ``--repeat`` runs, side by side in one run:

  a) issue 6: a first run with an empty store, then a second run over the same
     unchanged records with the store the first run wrote: wall times, ratio,
     requests (report.json summary.requests) and their percentage;
  b) issue 4: content checks on vs off (``--no-content-enabled``), history off:
     wall-time ratio, and bytes read per image and per page (counted by a thin
     wrapper around ``linkcheck.engine.fetch.read_capped`` in the child; the product is
     not changed for it);
  c) issue 3: peak RSS of the child (``os.wait4``) on ``--rss-records`` records,
     zero latency, history off (``--rss-history``: a first and a second run with history).

The local web serves http (TLS is not the subject), so the https-twin pass is off
(``--no-content-insecure-url``): with the original https URLs it asks nothing.

    .venv/bin/python bench/bench_pipeline.py                       # a) and b), 2000 records
    .venv/bin/python bench/bench_pipeline.py --records 10000 --repeat 3 --parts a
    .venv/bin/python bench/bench_pipeline.py --parts c --rss-records 100000
    .venv/bin/python bench/bench_pipeline.py --parts c --rss-records 100000 --rss-history
    .venv/bin/python bench/bench_pipeline.py --parts a --against ../other-tree  # run 2 vs run 2
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

HOST_RE = re.compile(r"https?://([A-Za-z0-9.-]+)")
COMMON = ["--progress", "never", "--no-content-insecure-url"]


@dataclass(frozen=True)
class RunResult:
    wall: float
    requests: int
    rss_mb: float
    exit_code: int
    bytes: dict[str, int]


# ---------------------------------------------------------------- corpus and web


def make_corpus(records: int, out: Path) -> list[str]:
    """Generate the records; every host name they mention, in first-seen order."""
    import gen_records

    gen_records.generate(records, out)
    hosts: dict[str, None] = {}
    for path in [out / "_config.yml", *sorted((out / "_news").glob("*.md"))]:
        for host in HOST_RE.findall(path.read_text(encoding="utf-8")):
            hosts.setdefault(host, None)
    return list(hosts)


def addresses_for(hosts: list[str]) -> dict[str, str]:
    return {host: f"127.1.{n // 250}.{n % 250 + 1}" for n, host in enumerate(hosts)}


def localise(out: Path, addresses: dict[str, str], port: int) -> None:
    """Rewrite every http(s)://host in the records to http://127.1.x.y:port."""

    def swap(match: re.Match[str]) -> str:
        return f"http://{addresses[match.group(1)]}:{port}"

    for path in [out / "_config.yml", *(out / "_news").glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(HOST_RE.sub(swap, text), encoding="utf-8")
        os.replace(tmp, path)


def refuse_non_loopback(records: Path, workdir: Path) -> int:
    """Exit unless every extracted link is on 127.0.0.0/8; returns the number of links."""
    out = subprocess.run(
        [sys.executable, "-m", "linkcheck.cli", "links", "--format", "json", str(records)],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
    )
    links = json.loads(out.stdout)["links"]
    outside = []
    for link in links:
        if link["url"] is None:
            continue
        host = urlsplit(link["url"]).hostname or ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            outside.append(link["url"])
    if outside:
        sys.exit(f"refusing to run: {len(outside)} non-loopback URLs, e.g. {outside[:3]}")
    return len(links)


class Web:
    """bench/web.py in a child process, on every address, one port."""

    def __init__(self, addresses: list[str], latency: str) -> None:
        cmd = [sys.executable, str(ROOT / "bench" / "web.py"), "--content", "real"]
        cmd += ["--latency-ms", latency, "--addresses", ",".join(addresses)]
        self.first = addresses[0]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def stats(self, reset: bool = False) -> dict[str, int]:
        path = "__reset" if reset else "__stats"
        url = f"http://{self.first}:{self.port}/{path}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read()
        return {} if reset else json.loads(body)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def corpus_on_web(records: int, workdir: Path, name: str, latency: str) -> tuple[Path, Web]:
    out = workdir / name
    started = time.perf_counter()
    hosts = make_corpus(records, out)
    addresses = addresses_for(hosts)
    web = Web(list(addresses.values()), latency)
    localise(out, addresses, web.port)
    links = refuse_non_loopback(out, workdir)
    print(
        f"{records} records, {links} links, {len(hosts)} hosts on 127.1.x.y:{web.port} "
        f"(latency {latency} ms); corpus ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return out, web


# ---------------------------------------------------------------- running the CLI


# Peak RSS of the child alone. os.wait4 on a child of this process would also count the
# RSS this process had when it forked (Linux carries the high-water mark across exec): after
# reading a 100,000-record link list this process holds ~2 GB, and so would every child
# seem to. A small launcher, itself started fresh, forks the real child and reports its peak.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli(
    args: list[str], workdir: Path, count_bytes: bool = False, tree: Path | None = None
) -> RunResult:
    """One `linkcheck check` child; wall time, requests, peak RSS of that child only.
    ``tree``: the linkcheck of another work tree (put first on the child's path)."""
    out_dir = Path(tempfile.mkdtemp(prefix="out-", dir=workdir))
    counts = out_dir / "bytes.json"
    peak = out_dir / "peak-rss-kb"
    head = [sys.executable, "-m", "linkcheck.cli"]
    if count_bytes:
        head = [sys.executable, __file__, "--counted-cli", str(counts), "--"]
    cmd = [*head, "check", *args, *COMMON, "-o", str(out_dir)]
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    code = subprocess.call(
        [sys.executable, "-c", LAUNCHER, str(peak), *cmd],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    wall = time.perf_counter() - started
    if code not in (0, 1):
        sys.exit(f"linkcheck exited with {code}: {' '.join(cmd)}")
    got = json.loads(counts.read_text()) if counts.exists() else {}
    requests = report_summary(out_dir / "report.json")["requests"]
    return RunResult(wall, requests, int(peak.read_text()) / 1024, code, got)


def report_summary(path: Path) -> dict:
    """The report's summary without loading its million URL entries: the head comes first."""
    head = []
    with path.open(encoding="utf-8") as report:
        for line in report:
            if line.startswith('  "urls":'):
                break
            head.append(line)
    return json.loads("".join(head).rstrip().rstrip(",") + "}")["summary"]


def counted_cli(counts_path: str, argv: list[str]) -> None:
    """The CLI with ``read_capped`` wrapped to add up body bytes of 2xx answers by kind."""
    from linkcheck import cli
    from linkcheck.engine import fetch

    counts: Counter[str] = Counter()
    original = fetch.read_capped

    async def counted(resp, cap, enough=None):  # type: ignore[no-untyped-def]
        body, truncated = await original(resp, cap, enough)
        if 200 <= resp.status < 300:
            media = resp.headers.get("Content-Type", "")
            kind = "image" if media.startswith("image/") else "page"
            counts[f"{kind}_bodies"] += 1
            counts[f"{kind}_bytes_read"] += len(body)
            # Decoded bytes that reached the client's buffer (read or not) by the end.
            counts[f"{kind}_bytes_received"] += resp.content.total_bytes
            counts[f"{kind}_early_stops"] += int(truncated and len(body) < cap)
        return body, truncated

    fetch.read_capped = counted  # type: ignore[assignment]
    code = cli.main(argv)
    Path(counts_path).write_text(json.dumps(counts))
    sys.exit(code)


# ---------------------------------------------------------------- the three parts


def part_a(records: Path, workdir: Path, repeat: int) -> None:
    """Issue 6: the second run over unchanged records with the fresh store."""
    firsts, seconds = [], []
    for rep in range(repeat):
        store = workdir / f"history-a{rep}.sqlite"
        first = run_cli([str(records), "--history", str(store)], workdir)
        second = run_cli([str(records), "--history", str(store)], workdir)
        firsts.append(first)
        seconds.append(second)
        print(
            f"  a) rep {rep + 1}: run 1 {first.wall:.2f} s {first.requests} requests "
            f"{first.rss_mb:.0f} MB peak | run 2 {second.wall:.2f} s {second.requests} requests "
            f"{second.rss_mb:.0f} MB peak",
            flush=True,
        )
    w1 = statistics.median(r.wall for r in firsts)
    w2 = statistics.median(r.wall for r in seconds)
    r1 = statistics.median(r.requests for r in firsts)
    r2 = statistics.median(r.requests for r in seconds)
    print(
        f"a) issue 6: run 1 median {w1:.2f} s, run 2 median {w2:.2f} s: "
        f"{w1 / w2:.1f}x faster (target >= 10x); requests {r1:.0f} vs {r2:.0f} = "
        f"{100 * r2 / r1:.1f}% (target <= 5%)"
    )


def part_a_against(records: Path, workdir: Path, repeat: int, other: Path) -> None:
    """a) for this tree and for ``other`` side by side (alternating which goes first): how
    the second run's time compares, for a change that touches what a re-run does."""
    seconds: dict[str, list[float]] = {"this": [], "other": []}
    for rep in range(repeat):
        order = [("this", None), ("other", other)]
        for name, tree in order if rep % 2 == 0 else order[::-1]:
            store = workdir / f"history-{name}-{rep}.sqlite"
            first = run_cli([str(records), "--history", str(store)], workdir, tree=tree)
            second = run_cli([str(records), "--history", str(store)], workdir, tree=tree)
            seconds[name].append(second.wall)
            print(
                f"  a) rep {rep + 1} {name:5}: run 1 {first.wall:.2f} s | run 2 "
                f"{second.wall:.2f} s {second.requests} requests",
                flush=True,
            )
    mine, theirs = (statistics.median(seconds[n]) for n in ("this", "other"))
    print(
        f"a) run 2 median: this tree {mine:.2f} s, {other} {theirs:.2f} s: "
        f"{mine / theirs:.2f}x the other's time"
    )


def part_b(records: Path, workdir: Path, repeat: int) -> None:
    """Issue 4: content checks on vs off, history off, alternating order."""
    on, off = [], []
    base = [str(records), "--no-history-enabled"]
    for rep in range(repeat):
        pair = [("on", []), ("off", ["--no-content-enabled"])]
        for name, extra in pair if rep % 2 == 0 else pair[::-1]:
            result = run_cli([*base, *extra], workdir, count_bytes=True)
            (on if name == "on" else off).append(result)
            print(
                f"  b) rep {rep + 1}: content {name:3} {result.wall:.2f} s "
                f"{result.requests} requests",
                flush=True,
            )
    w_on = statistics.median(r.wall for r in on)
    w_off = statistics.median(r.wall for r in off)
    print(
        f"b) issue 4: content on median {w_on:.2f} s, off {w_off:.2f} s: "
        f"{w_on / w_off:.2f}x (target < 1.2x)"
    )
    counts = on[0].bytes
    for kind, target in (("image", 64), ("page", 256)):
        bodies = counts.get(f"{kind}_bodies", 0)
        if not bodies:
            print(f"   no {kind} bodies read")
            continue
        read = counts[f"{kind}_bytes_read"] / bodies / 1024
        received = counts[f"{kind}_bytes_received"] / bodies / 1024
        stops = counts[f"{kind}_early_stops"]
        print(
            f"   {kind}s: {bodies} bodies, {read:.1f} KiB read on average "
            f"(target < {target} KiB), {received:.1f} KiB reached the client's buffer, "
            f"{stops} stopped early"
        )


def part_c(records: int, workdir: Path, history: bool) -> None:
    """Issue 3: peak RSS of the whole check, zero latency; history off, or with ``history``
    a first run into an empty store and a second run over the same records."""
    corpus, web = corpus_on_web(records, workdir, f"rss-{records}", "0-0")
    store = workdir / "history-c.sqlite"
    runs = (["--history", str(store)],) * 2 if history else (["--no-history-enabled"],)
    try:
        for n, options in enumerate(runs, start=1):
            result = run_cli([str(corpus), *options], workdir)
            which = f"history on, run {n}" if history else "history off"
            print(
                f"c) issue 3: {records} records, {which}: "
                f"peak RSS {result.rss_mb:.0f} MB (target < 300 MB), "
                f"{result.wall:.1f} s, {result.requests} requests",
                flush=True,
            )
    finally:
        web.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records for a) and b)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", default="20-80", help="MIN-MAX per request")
    parser.add_argument("--parts", default="ab", help="any of a, b, c")
    parser.add_argument("--rss-records", type=int, default=100_000, help="records for c)")
    parser.add_argument(
        "--rss-history", action="store_true", help="c) with history: a first and a second run"
    )
    parser.add_argument(
        "--against", type=Path, help="a): compare run 2 with another work tree's linkcheck"
    )
    parser.add_argument("--counted-cli", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.counted_cli:
        counted_cli(args.counted_cli, rest[1:] if rest[:1] == ["--"] else rest)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="linkcheck-pipeline-") as tmp:
        workdir = Path(tmp)
        if "a" in args.parts or "b" in args.parts:
            records, web = corpus_on_web(args.records, workdir, "records", args.latency_ms)
            try:
                if "a" in args.parts and args.against:
                    part_a_against(records, workdir, args.repeat, args.against.resolve())
                elif "a" in args.parts:
                    part_a(records, workdir, args.repeat)
                if "b" in args.parts:
                    part_b(records, workdir, args.repeat)
            finally:
                web.close()
        if "c" in args.parts:
            part_c(args.rss_records, workdir, args.rss_history)


if __name__ == "__main__":
    main()
