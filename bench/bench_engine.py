"""Bench the checking engine against lychee on the same URLs, hosts and limits.

URLs come from realistic generated records (bench/gen_records.py), every host
name mapped to its own loopback address served by bench/web.py (20-80 ms per
request). Prints wall-time medians, their ratio, requests each tool made (as
counted by the server), and the lower bound: the largest of (a host's total
latency / per-host concurrency), (all latency / global concurrency) and the
slowest single URL.

Both tools run at equal settings: the same concurrency, per-host limit, no
interval, HEAD (or, with ``--body``, GET). In HEAD mode lychee trusts every HEAD
answer, so the headline compares it with linkcheck at ``http.head_reask: ""``;
linkcheck at its defaults (a HEAD 400/403/404/405/501 asked again as GET) is a
separate line: the price of the re-asks, in seconds and requests.

linkcheck is fed as the pipeline feeds it: a generator of UrlChecks in
``spread_order`` (each host's URLs spread over the run), pulled lazily by
``fetch_all`` within its window. ``--order given`` streams the URL file as it
is (first-seen order) instead, so ``--memory-only`` measures fetch_all's own
memory; ``--window N`` overrides fetch_all's window.

Event loops: ``--loops uvloop,asyncio`` runs every linkcheck line on each client
loop (the child runs ``linkcheck.engine.loop.run``; "asyncio" is what linkcheck uses unless
LINKCHECK_LOOP=uvloop), alternating within each run; ``--web-loops asyncio,uvloop``
starts one bench/web.py per server loop (same addresses, own port) and runs every
line, lychee included, against each.

Whole runs on a noisy web (``--cli``): the ``linkcheck check`` CLI over the
records themselves (its flags as scripts pass them) against lychee over the same
unique URLs, at equal limits (``--concurrency``, ``--per-host``, ``--timeout-s``,
``--attempts``), alternating run by run. ``--mix realistic`` makes the busiest
``--noisy-hosts`` hosts misbehave on a few percent of their paths, ``--mix
hostile`` every host on a third of them (bench/web.py ``noise``); ``--mix
clean`` is the plain web. The lower bound counts what the noise forces: every
attempt at a URL that fails for ever, each hang's timeout per attempt, the wait
a 429 asks for. The bench web counts requests in flight per host: the bench
fails when linkcheck ever had more than ``--per-host`` in flight to one host.
Each line prints the seconds before the first request reached the web and after
the last answer left it (time outside the fetch), and the child's peak RSS.

    .venv/bin/python bench/bench_engine.py --records 1000 --runs 3
    .venv/bin/python bench/bench_engine.py --records 1000 --runs 3 --loops uvloop,asyncio
    .venv/bin/python bench/bench_engine.py --records 10000 --memory-only --order given
    .venv/bin/python bench/bench_engine.py --cli --mix realistic --records 5000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench.web import plan  # noqa: E402

URL_RE = re.compile(r"https?://[^\s\"']+")
SKIP_HOSTS = {"prose.example.test"}


def record_urls(records: int, workdir: Path) -> list[str]:
    """Unique absolute URLs of ``records`` generated records, in first-seen order."""
    import gen_records

    out = gen_records.generate(records, workdir / "records")
    seen: dict[str, None] = {}
    for path in sorted((out / "_news").glob("*.md")):
        for url in URL_RE.findall(path.read_text(encoding="utf-8")):
            if url.split("/")[2] not in SKIP_HOSTS:
                seen.setdefault(url, None)
    return list(seen)


def localise(urls: list[str]) -> tuple[list[str], dict[str, str]]:
    """Each host name -> its own 127.1.x.y; the port is filled in once the server runs."""
    addresses: dict[str, str] = {}
    local = []
    for url in urls:
        rest = url.split("://", 1)[1]
        host, _, path = rest.partition("/")
        if host not in addresses:
            n = len(addresses)
            addresses[host] = f"127.1.{n // 250}.{n % 250 + 1}"
        local.append(f"http://{addresses[host]}:{{port}}/{path}")
    return local, addresses


def lower_bound(urls: list[str], per_host: int, concurrency: int) -> float:
    by_host: dict[str, float] = defaultdict(float)
    slowest = 0.0
    for url in urls:
        host, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
        latency, status = plan(path)
        if status == 301:
            latency += plan(path.split("?")[0] + "?moved")[0]
        by_host[host] += latency
        slowest = max(slowest, latency)
    total = sum(by_host.values())
    return max(max(by_host.values()) / per_host, total / concurrency, slowest)


def server_requests(port: int, address: str, reset: bool = False) -> int:
    path = "__reset" if reset else "__stats"
    with urllib.request.urlopen(f"http://{address}:{port}/{path}", timeout=10) as resp:
        body = resp.read()
    # Requests by method; the web also reports its per-host peak and times (bench/web.py).
    return 0 if reset else sum(v for k, v in json.loads(body).items() if k in ("GET", "HEAD"))


def run_linkcheck_child(
    urls_file: str,
    concurrency: int,
    per_host: int,
    body: bool,
    collect: bool,
    order: str = "spread",
    window: int | None = None,
    head_reask: str | None = None,
    loop: str = "asyncio",
) -> None:
    """In a fresh process: one fetch_all over the URLs; prints wall, outcomes, peak RSS.

    The URLs are fed as the pipeline feeds them: a generator in spread order
    (``--order given``: the file's first-seen order), pulled lazily by fetch_all.
    """
    from yarl import URL

    from linkcheck.config import load_config
    from linkcheck.engine.fetch import fetch_all
    from linkcheck.engine.hosts import spread_order
    from linkcheck.engine.loop import loop_name, run
    from linkcheck.model import Role, UrlCheck

    overrides: dict[str, object] = {
        "http.max_concurrency": concurrency,
        "http.per_host": per_host,
        "http.host_interval_ms": 0,
    }
    if head_reask is not None:
        overrides["http.head_reask"] = head_reask
    config = load_config(overrides=overrides)
    # Spread order needs every URL at hand (the pipeline sorts in SQLite); "given"
    # streams the file, so peak RSS is fetch_all's own.
    urls: Iterable[str] = stream_lines(urls_file)
    if order == "spread":
        urls = spread_order((URL(u).host or "", u) for u in urls)
    roles = frozenset({Role.WEB})
    checks = (UrlCheck(u, roles) for u in urls)
    statuses: dict[str, int] = defaultdict(int)

    def count(fetched) -> None:  # type: ignore[no-untyped-def]
        statuses[str(fetched.status or fetched.failure)] += 1

    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    run(
        fetch_all(
            checks,
            config,
            on_result=count,
            want_body=lambda c: body,
            collect=collect,
            window=window,
        ),
        use_uvloop=loop == "uvloop",
    )
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "statuses": statuses,
                "rss_mb": rss_mb,
                "before_mb": before_mb,
                "urls": sum(statuses.values()),
                "loop": loop_name(loop == "uvloop"),
            }
        )
    )


def cpu_seconds() -> float:
    """This process's user + system CPU time: the client's own cost, less noisy than wall."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stream_lines(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield line.strip()


def linkcheck_once(
    urls_file: Path,
    args: argparse.Namespace,
    collect: bool = True,
    head_reask: str | None = None,
    loop: str = "asyncio",
) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        str(urls_file),
        "--concurrency",
        str(args.concurrency),
        "--per-host",
        str(args.per_host),
    ]
    cmd += ["--body"] if args.body else []
    cmd += [] if collect else ["--no-collect"]
    cmd += ["--order", args.order] + (["--window", str(args.window)] if args.window else [])
    cmd += [] if head_reask is None else [f"--head-reask={head_reask}"]
    cmd += ["--loop", loop]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def lychee_once(urls_file: Path, args: argparse.Namespace, workdir: Path) -> float:
    lychee = shutil.which("lychee", path=str(Path(sys.executable).parent)) or "lychee"
    cmd = [
        lychee,
        "--no-progress",
        "--max-concurrency",
        str(args.concurrency),
        "--host-concurrency",
        str(args.per_host),
        "--host-request-interval",
        "0ms",
        "--max-retries",
        "3",
        "--timeout",
        "20",
        "--format",
        "json",
        "--output",
        str(workdir / "lychee.json"),
        str(urls_file),
    ]
    cmd += [] if args.body else ["--method", "head"]
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False, timeout=3600)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, help="default 64 (--cli: 128)")
    parser.add_argument("--per-host", type=int, help="default 6 (--cli: 8)")
    parser.add_argument("--cli", action="store_true", help="whole CLI runs on --mix")
    parser.add_argument("--mix", choices=("clean", "realistic", "hostile"), default="clean")
    parser.add_argument("--noisy-hosts", type=int, default=8, help="realistic: busiest N")
    parser.add_argument("--timeout-s", type=float, default=10.0, help="--cli: request timeout")
    parser.add_argument("--attempts", type=int, default=3, help="--cli: attempts per URL")
    parser.add_argument("--body", action="store_true", help="GET and read bodies (else HEAD)")
    parser.add_argument("--no-lychee", action="store_true")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="one linkcheck run, results streamed (collect=False): peak RSS",
    )
    parser.add_argument(
        "--order",
        choices=("spread", "given"),
        default="spread",
        help="order linkcheck is fed the URLs: spread by host as the pipeline does, or as found",
    )
    parser.add_argument("--window", type=int, help="fetch_all's window (default: its own)")
    parser.add_argument(
        "--loops",
        type=loop_list,
        default=["asyncio"],
        help="linkcheck's event loops, comma-separated: asyncio (its default), uvloop",
    )
    parser.add_argument(
        "--web-loops",
        type=loop_list,
        default=["asyncio"],
        help="bench/web.py's event loops, comma-separated: one server each",
    )
    parser.add_argument("--head-reask", help="child only: http.head_reask for linkcheck")
    parser.add_argument("--loop", default="asyncio", help="child only: linkcheck's event loop")
    parser.add_argument("--child")
    parser.add_argument("--no-collect", action="store_true")
    args = parser.parse_args()
    if args.concurrency is None:
        args.concurrency = 128 if args.cli else 64
    if args.per_host is None:
        args.per_host = 8 if args.cli else 6
    if args.cli:
        import noisy

        sys.exit(noisy.compare(args))
    if args.child:
        run_linkcheck_child(
            args.child,
            args.concurrency,
            args.per_host,
            args.body,
            not args.no_collect,
            args.order,
            args.window,
            args.head_reask,
            args.loop,
        )
        return
    with tempfile.TemporaryDirectory(prefix="linkcheck-bench-") as tmp:
        bench(args, Path(tmp))


def loop_list(text: str) -> list[str]:
    loops = [name.strip() for name in text.split(",") if name.strip()]
    if not loops or any(name not in ("uvloop", "asyncio") for name in loops):
        raise argparse.ArgumentTypeError("a comma-separated list of: uvloop, asyncio")
    return loops


@dataclass(frozen=True)
class Web:
    """One bench/web.py: its event loop, port, and the URL file pointing at it."""

    loop: str
    port: int
    urls_file: Path


def start_web(addresses: list[str], loop: str) -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "web.py"),
            "--addresses",
            ",".join(addresses),
            "--loop",
            loop,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, int(server.stdout.readline())


def bench(args: argparse.Namespace, workdir: Path) -> None:
    urls, addresses = localise(record_urls(args.records, workdir))
    print(f"{args.records} records -> {len(urls)} unique URLs on {len(addresses)} hosts")
    servers: list[subprocess.Popen[str]] = []
    try:
        webs = []
        for loop in args.web_loops:
            server, port = start_web(list(addresses.values()), loop)
            servers.append(server)
            urls_file = workdir / f"urls-{loop}.txt"
            urls_file.write_text("\n".join(u.format(port=port) for u in urls) + "\n")
            webs.append(Web(loop, port, urls_file))
        first = next(iter(addresses.values()))
        bound = lower_bound([u.format(port=0) for u in urls], args.per_host, args.concurrency)
        print(
            f"lower bound: {bound:.2f} s (concurrency {args.concurrency}, "
            f"per host {args.per_host}, {'GET+body' if args.body else 'HEAD'})"
        )
        if args.memory_only:
            web = webs[0]
            server_requests(web.port, first, reset=True)
            result = linkcheck_once(web.urls_file, args, collect=False, loop=args.loops[0])
            print(
                f"linkcheck [{result['loop']}]: {result['wall']:.2f} s, "
                f"peak RSS {result['rss_mb']:.0f} MB "
                f"({result['before_mb']:.0f} MB once the URL set was built), "
                f"{server_requests(web.port, first)} requests, statuses {result['statuses']}"
            )
            return
        compare(webs, args, workdir, first, bound)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def compare(
    webs: list[Web], args: argparse.Namespace, workdir: Path, first: str, bound: float
) -> None:
    """Each run, per server: linkcheck at lychee's settings and at its defaults (HEAD
    mode) on each client loop, then lychee.

    Walls and request counts per line; medians, ratios to the bound and to lychee
    (on the same server).
    """
    # (label, http.head_reask): GET mode never re-asks, so one linkcheck line is enough.
    variants = [("linkcheck", None)]
    if not args.body:
        variants = [("linkcheck equal", ""), ("linkcheck default", None)]
    walls: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, list[int]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    for run in range(args.runs):
        for web in webs:
            suffix = f" web={web.loop}" if len(webs) > 1 else ""
            for label, reask in variants:
                # Alternate the loops' order run by run: neither always goes first.
                for loop in args.loops if run % 2 == 0 else args.loops[::-1]:
                    server_requests(web.port, first, reset=True)
                    result = linkcheck_once(web.urls_file, args, head_reask=reask, loop=loop)
                    line = f"{label} [{result['loop']}]" if len(args.loops) > 1 else label
                    line += suffix
                    walls[line].append(result["wall"])
                    requests[line].append(server_requests(web.port, first))
                    cpus[line].append(result["cpu"])
                    print(
                        f"run {run + 1}: {line:<38} {result['wall']:.2f} s, "
                        f"CPU {result['cpu']:.2f} s, "
                        f"{requests[line][-1]} requests, RSS {result['rss_mb']:.0f} MB, "
                        f"statuses {dict(result['statuses'])}",
                        flush=True,
                    )
            if not args.no_lychee:
                line = "lychee" + suffix
                server_requests(web.port, first, reset=True)
                walls[line].append(lychee_once(web.urls_file, args, workdir))
                requests[line].append(server_requests(web.port, first))
                print(
                    f"run {run + 1}: {line:<38} {walls[line][-1]:.2f} s, "
                    f"{requests[line][-1]} requests",
                    flush=True,
                )
    summarise(walls, requests, bound, cpus)


def summarise(
    walls: dict[str, list[float]],
    requests: dict[str, list[int]],
    bound: float,
    cpus: dict[str, list[float]],
) -> None:
    """Medians per line; linkcheck's lines add the client's CPU seconds (lychee's: not measured)."""
    medians = {label: statistics.median(w) for label, w in walls.items()}
    for label, median in medians.items():
        cpu = f", CPU {statistics.median(cpus[label]):.2f} s" if cpus.get(label) else ""
        print(
            f"{label:<38} median {median:.2f} s = {median / bound:.2f}x the lower bound, "
            f"{statistics.median(requests[label]):.0f} requests{cpu}"
        )
    for label, median in medians.items():
        if label.startswith("lychee"):
            continue
        # The lychee line on the same server: "... web=uvloop" -> "lychee web=uvloop".
        theirs = "lychee" + (label[label.index(" web=") :] if " web=" in label else "")
        if theirs in medians:
            extra = statistics.median(requests[label]) - statistics.median(requests[theirs])
            print(f"{label} / {theirs} = {median / medians[theirs]:.2f} ({extra:+.0f} requests)")


if __name__ == "__main__":
    main()
