"""Whole `linkcheck check` runs against lychee on a clean or noisy local web.

Used by ``bench_engine.py --cli``. The records are generated, every host name
rewritten to its own loopback address (bench_pipeline's corpus), served by
bench/web.py with ``--mix``; linkcheck reads the records through its CLI, lychee
reads the same unique URLs from a file; both at equal limits, alternating run by
run. After each run the bench web says how many requests one host ever had in
flight, when the first request arrived and when the last answer left.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench_pipeline import LAUNCHER, addresses_for, localise, make_corpus
from web import CHAIN_HOPS, RETRY_AFTER_S, noise, plan

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    """One tool's run: wall seconds, requests, peak RSS, and what the web saw."""

    wall: float
    requests: int
    rss_mb: float
    peak_per_host: int
    before_first_s: float
    after_last_s: float
    failing: int


class NoisyWeb:
    """bench/web.py with a mix, on every address, one port."""

    def __init__(self, addresses: list[str], mix: str, noisy: list[str], port: int = 0) -> None:
        cmd = [sys.executable, str(ROOT / "bench" / "web.py"), "--content", "real"]
        cmd += ["--addresses", ",".join(addresses), "--mix", mix, "--port", str(port)]
        cmd += ["--noisy", ",".join(noisy)] if noisy else []
        self.first = addresses[0]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def stats(self, reset: bool = False) -> dict[str, float]:
        path = "__reset" if reset else "__stats"
        url = f"http://{self.first}:{self.port}/{path}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            body = resp.read()
        return {} if reset else json.loads(body)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def busiest_hosts(urls: list[str], count: int) -> list[str]:
    """The ``count`` hosts with the most URLs: where the realistic mix puts its noise."""
    hosts = Counter(urlsplit(u).hostname or "" for u in urls)
    return [host for host, _ in hosts.most_common(count)]


def url_cost(
    path: str, noisy: bool, mix: str, attempts: int, timeout: float
) -> tuple[float, float]:
    """(seconds of a host slot, seconds end to end) the least a URL can cost.

    A URL that fails for ever needs every attempt; a hang holds its slot for the
    timeout at each attempt; a 429 costs its answer, the wait it asks for, and
    the answer after it; a chain of redirects costs each hop.
    """
    kind = noise(path, mix) if noisy else None
    latency = plan(path)[0]
    if kind in ("503", "reset"):
        return attempts * latency, attempts * latency
    if kind == "hang":
        return attempts * timeout, attempts * timeout
    if kind in ("huge", "bomb"):
        return latency, latency
    if kind == "429":
        slot, end = planned_cost(path)
        return latency + slot, latency + RETRY_AFTER_S + end
    if kind == "chain":
        base = path.split("?")[0]
        hops = [plan(f"{base}?hop={n}")[0] for n in range(1, CHAIN_HOPS)]
        last = planned_cost(f"{base}?hop={CHAIN_HOPS}")[0]
        total = latency + sum(hops) + last
        return total, total
    return planned_cost(path)


def planned_cost(path: str) -> tuple[float, float]:
    latency, status = plan(path)
    if status == 301:
        latency += plan(path.split("?")[0] + "?moved")[0]
    return latency, latency


def lower_bound(
    urls: list[str], noisy: set[str] | None, args: argparse.Namespace
) -> tuple[float, int]:
    """(the least wall time at these limits, how many URLs the noise makes fail)."""
    by_host: dict[str, float] = defaultdict(float)
    slowest = 0.0
    failing = 0
    for url in urls:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname or ""
        is_noisy = noisy is None or host in noisy
        slot, end = url_cost(path, is_noisy, args.mix, args.attempts, args.timeout_s)
        by_host[host] += slot
        slowest = max(slowest, end)
        kind = noise(path, args.mix) if is_noisy else None
        failing += kind in ("503", "reset", "hang") or (kind is None and plan(path)[1] == 404)
    total = sum(by_host.values())
    bound = max(max(by_host.values()) / args.per_host, total / args.concurrency, slowest)
    return bound, failing


def linkcheck_cmd(records: Path, out: Path, args: argparse.Namespace) -> list[str]:
    """The CLI as scripts call it: the limits, no history, JSON only, no progress bar."""
    return [
        sys.executable,
        "-m",
        "linkcheck.cli",
        "check",
        str(records),
        "--concurrency",
        str(args.concurrency),
        "--per-host",
        str(args.per_host),
        "--http-request-timeout-s",
        str(args.timeout_s),
        "--http-read-timeout-s",
        str(args.timeout_s),
        "--retry-max-attempts",
        str(args.attempts),
        "--no-history-enabled",
        "--formats",
        "json",
        "--progress",
        "never",
        "-o",
        str(out),
    ]


def lychee_cmd(urls_file: Path, out: Path, args: argparse.Namespace) -> list[str]:
    lychee = shutil.which("lychee", path=str(Path(sys.executable).parent)) or "lychee"
    return [
        lychee,
        "--no-progress",
        "--max-concurrency",
        str(args.concurrency),
        "--host-concurrency",
        str(args.per_host),
        "--host-request-interval",
        "0ms",
        "--max-retries",
        str(args.attempts - 1),
        "--timeout",
        str(round(args.timeout_s)),
        "--format",
        "json",
        "--output",
        str(out / "lychee.json"),
        str(urls_file),
    ]


def timed(cmd: list[str], workdir: Path, web: NoisyWeb) -> tuple[float, float, dict[str, float]]:
    """Run ``cmd`` under the launcher: (wall, peak RSS MB of the child, the web's stats)."""
    peak = Path(tempfile.mkstemp(prefix="peak-", dir=workdir)[1])
    web.stats(reset=True)
    started_wall = time.time()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(peak), *cmd],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=3600,
        check=False,
    )
    wall = time.perf_counter() - started
    ended_wall = time.time()
    stats = web.stats()
    stats["before_first_s"] = stats.get("first_start", ended_wall) - started_wall
    stats["after_last_s"] = ended_wall - stats.get("last_end", ended_wall)
    return wall, int(peak.read_text() or 0) / 1024, stats


def run_linkcheck(records: Path, workdir: Path, web: NoisyWeb, args: argparse.Namespace) -> Outcome:
    out = Path(tempfile.mkdtemp(prefix="out-", dir=workdir))
    wall, rss, stats = timed(linkcheck_cmd(records, out, args), workdir, web)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_outcome = report["summary"]["by_outcome"]
    failing = sum(n for outcome, n in by_outcome.items() if outcome not in ("ok", "excluded"))
    shutil.rmtree(out)
    return outcome_of(wall, report["summary"]["requests"], rss, stats, failing)


def run_lychee(urls_file: Path, workdir: Path, web: NoisyWeb, args: argparse.Namespace) -> Outcome:
    out = Path(tempfile.mkdtemp(prefix="out-", dir=workdir))
    wall, rss, stats = timed(lychee_cmd(urls_file, out, args), workdir, web)
    try:
        failing = json.loads((out / "lychee.json").read_text(encoding="utf-8"))["errors"]
    except (OSError, ValueError, KeyError):
        failing = -1
    shutil.rmtree(out)
    return outcome_of(wall, web_requests(stats), rss, stats, failing)


def web_requests(stats: dict[str, float]) -> int:
    return int(stats.get("GET", 0) + stats.get("HEAD", 0))


def outcome_of(
    wall: float, requests: int, rss: float, stats: dict[str, float], failing: int
) -> Outcome:
    return Outcome(
        wall,
        requests,
        rss,
        int(stats.get("peak_per_host", 0)),
        stats["before_first_s"],
        stats["after_last_s"],
        failing,
    )


def prepare(args: argparse.Namespace, workdir: Path) -> tuple[Path, Path, NoisyWeb, float, int]:
    """Records on the web, the URL file for lychee, the web, the bound, the failing count."""
    records = workdir / "records"
    hosts = make_corpus(args.records, records)
    addresses = addresses_for(hosts)
    web = NoisyWeb(list(addresses.values()), args.mix, [])
    localise(records, addresses, web.port)
    urls = linked_urls(records, workdir)
    noisy_hosts = busiest_hosts(urls, args.noisy_hosts) if args.mix == "realistic" else []
    if noisy_hosts:  # the noise goes where the URLs are: start the web again, told where
        web.close()
        web = NoisyWeb(list(addresses.values()), args.mix, noisy_hosts, port=web.port)
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    noisy = set(noisy_hosts) if args.mix == "realistic" else None
    bound, failing = lower_bound(urls, noisy, args)
    print(
        f"{args.records} records -> {len(urls)} unique URLs on {len(addresses)} hosts, "
        f"mix {args.mix}{noisy_label(args.mix, noisy_hosts)}, "
        f"{failing} failing by plan; lower bound {bound:.2f} s (concurrency "
        f"{args.concurrency}, per host {args.per_host}, timeout {args.timeout_s:g} s, "
        f"{args.attempts} attempts)",
        flush=True,
    )
    return records, urls_file, web, bound, failing


def noisy_label(mix: str, noisy_hosts: list[str]) -> str:
    if mix == "clean":
        return ""
    return f" (noisy hosts: {len(noisy_hosts) or 'all'})"


def linked_urls(records: Path, workdir: Path) -> list[str]:
    """The unique URLs linkcheck extracts (``linkcheck links``), fragments dropped; exits
    when any is outside 127.0.0.0/8."""
    out = subprocess.run(
        [sys.executable, "-m", "linkcheck.cli", "links", "--format", "json", str(records)],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
        check=True,
    )
    seen: dict[str, None] = {}
    for link in json.loads(out.stdout)["links"]:
        if link["url"]:
            seen.setdefault(link["url"].split("#")[0], None)
    outside = [u for u in seen if not (urlsplit(u).hostname or "").startswith("127.")]
    if outside:
        sys.exit(f"refusing to run: {len(outside)} non-loopback URLs, e.g. {outside[:3]}")
    return list(seen)


def compare(args: argparse.Namespace) -> int:
    """Alternating runs; prints each and the medians; 1 when linkcheck broke politeness."""
    with tempfile.TemporaryDirectory(prefix="linkcheck-noisy-") as tmp:
        workdir = Path(tmp)
        records, urls_file, web, bound, _ = prepare(args, workdir)
        try:
            runs: dict[str, list[Outcome]] = defaultdict(list)
            for n in range(args.runs):
                order = ["linkcheck", "lychee"] if n % 2 == 0 else ["lychee", "linkcheck"]
                for tool in order:
                    if tool == "lychee" and args.no_lychee:
                        continue
                    got = (
                        run_linkcheck(records, workdir, web, args)
                        if tool == "linkcheck"
                        else run_lychee(urls_file, workdir, web, args)
                    )
                    runs[tool].append(got)
                    print(f"run {n + 1}: {line(tool, got, bound)}  [{load()}]", flush=True)
        finally:
            web.close()
    return summarise(runs, bound, args.per_host)


def line(tool: str, got: Outcome, bound: float) -> str:
    return (
        f"{tool:<9} {got.wall:7.2f} s ({got.wall / bound:.2f}x bound), "
        f"{got.requests} requests, {got.failing} failing, peak RSS {got.rss_mb:.0f} MB, "
        f"most in flight to one host {got.peak_per_host}, first request after "
        f"{got.before_first_s:.1f} s, exit {got.after_last_s:.1f} s after the last answer"
    )


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return "load " + " ".join(f.read().split()[:3])


def summarise(runs: dict[str, list[Outcome]], bound: float, per_host: int) -> int:
    medians = {tool: statistics.median(o.wall for o in got) for tool, got in runs.items()}
    for tool, got in runs.items():
        print(
            f"{tool:<9} median {medians[tool]:.2f} s = {medians[tool] / bound:.2f}x the lower "
            f"bound ({bound:.2f} s); peak RSS median "
            f"{statistics.median(o.rss_mb for o in got):.0f} MB"
        )
    if "lychee" in medians:
        print(f"linkcheck / lychee = {medians['linkcheck'] / medians['lychee']:.2f}")
    worst = max((o.peak_per_host for o in runs["linkcheck"]), default=0)
    if worst > per_host:
        print(f"FAIL: linkcheck had {worst} requests in flight to one host (per host {per_host})")
        return 1
    print(f"politeness held: at most {worst} in flight to one host (per host {per_host})")
    return 0
