"""A run that cannot judge says so: the network down, a resolver out of reach, a canary.

Hosts are names answered by a stub in linkcheck's DNS layer (tests/dnsstub.py) or loopback
addresses on ports where nothing listens (every connection refused, like a firewall or a
proxy down). Everything above the resolver runs for real.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.reports.schema import validate_report
from tests.dnsstub import AGAIN, StubResolver, use_stub_dns
from tests.localweb import Host, local_web
from tests.test_trust import noisy_app

ALIVE = [f"news{i}.example" for i in range(8)]


@pytest.fixture(scope="module")
def site() -> Iterator[Host]:
    with local_web() as lw:
        yield lw.serve(noisy_app(), "127.0.0.81")


@pytest.fixture
def dns(monkeypatch, site) -> StubResolver:
    return use_stub_dns(monkeypatch, StubResolver({name: site.address for name in ALIVE}))


def closed_port(address: str) -> int:
    """A port on ``address`` where nothing listens: connecting there is refused."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def write(folder: Path, name: str, url: str, published: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    flag = "true" if published else "false"
    (folder / f"{name}.md").write_text(
        f'---\ntitle: "{name}"\noriginalUrl: "{url}"\npublished: {flag}\n---\n'
    )


def check(tmp_path: Path, *extra: str, records: Path | None = None) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(
        [
            "check",
            str(records or tmp_path / "records"),
            "-o",
            str(out),
            "--history",
            str(tmp_path / "history.sqlite"),
            "--retry-backoff-base-s",
            "0",
            "--progress",
            "never",
            *extra,
        ]
    )
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return code, report


def flagged(report: dict) -> list[str]:
    return [Path(r["source"]).stem for r in report["records"] if r["unpublish"]]


def test_every_host_refusing_is_a_degraded_run_that_says_so_everywhere(
    tmp_path, monkeypatch, capsys
) -> None:
    folder = tmp_path / "records"
    hosts = [f"127.0.1.{i}" for i in range(1, 11)]
    ports = {host: closed_port(host) for host in hosts}
    for i in range(2000):
        host = hosts[i % len(hosts)]
        write(folder, f"story-{i}", f"http://{host}:{ports[host]}/story/{i}")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, report = check(tmp_path, "--formats", "json,html,markdown,junit,sarif")
    assert code == 3
    assert report["run"]["degraded"] == {
        "reason": "10 of 10 hosts contacted could not be reached (DNS not answering, "
        "connection refused, connect timeout, network unreachable)",
        "failed_hosts": 10,
        "contacted_hosts": 10,
        "failed_canaries": [],
    }
    assert report["summary"]["unpublish"] == 0 and flagged(report) == []
    assert report["summary"]["by_outcome"]["unreachable"] == 2000  # shown as they are
    out = capsys.readouterr().out.splitlines()
    errors = [line for line in out if line.startswith("::error")]
    assert len(errors) == 1 and "title=linkcheck%3A degraded run::Degraded run" in errors[0]
    summary = [line for line in out if not line.startswith("::")]
    assert summary[0].startswith("Degraded run, the network looked down: 10 of 10 hosts")
    written = tmp_path / "out"
    assert (written / "report.md").read_text().startswith("> **Degraded run, the network")
    html = (written / "report.html").read_text()
    assert html.index('id="degraded"') < html.index("<h1>Link report</h1>")
    assert 'type="degraded_run"' in (written / "junit.xml").read_text()
    sarif = json.loads((written / "report.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    # The degraded report cannot be applied, even by hand-editing a flag into it.
    report["records"][0]["unpublish"] = True
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(report))
    assert main(["unpublish", str(edited), "--apply", "--base-dir", "/"]) == 3
    assert "refused: the report comes from a degraded run" in capsys.readouterr().err
    assert (
        "published: true"
        in (folder / f"{Path(report['records'][0]['source']).stem}.md").read_text()
    )


def test_a_resolver_out_of_reach_is_degraded_and_temporary(tmp_path, dns, site) -> None:
    for i, name in enumerate(ALIVE):
        write(tmp_path / "records", f"story-{i}", f"http://{name}:{site.port}/status/404/{i}")
    dns.outage = AGAIN
    code, report = check(tmp_path)
    assert code == 3 and flagged(report) == []
    assert report["run"]["degraded"]["failed_hosts"] == 8
    errors = {u["error"] for u in report["urls"]}
    assert errors == {
        f"DNS: temporary failure resolving {name} (EAI_AGAIN: Temporary failure in name resolution)"
        for name in ALIVE
    }
    assert {u["failure"] for u in report["urls"]} == {"dns"}
    assert {u["attempts"] for u in report["urls"]} == {3}  # retried: it may come back


@pytest.mark.parametrize("outage", ["resolver", "firewall"])
def test_a_degraded_night_leaves_no_trace_in_streaks(tmp_path, dns, site, capsys, outage) -> None:
    folder = tmp_path / "records"
    dead = f"http://{ALIVE[0]}:{site.port}/status/404/dead"
    write(folder, "dead", dead)
    for i, name in enumerate(ALIVE):
        write(folder, f"live-{i}", f"http://{name}:{site.port}/story/{i}")
    # Nights apart: every URL is asked again (no verdict young enough to reuse).
    min_runs = ("--unpublish-min-runs", "2", "--history-ok-max-age-h", "0")
    code, first = check(tmp_path, *min_runs)
    assert code == 1 and first["run"]["degraded"] is None and flagged(first) == []
    if outage == "resolver":
        dns.outage = AGAIN
    else:  # every connection refused: evidence, if the night counted
        dns.addresses = {name: "127.0.0.84" for name in ALIVE}
    code, night = check(tmp_path, *min_runs)
    assert code == 3 and flagged(night) == []
    dns.outage = None
    dns.addresses = {name: site.address for name in ALIVE}
    code, after = check(tmp_path, *min_runs)
    assert code == 1 and after["run"]["degraded"] is None
    # Two runs of 404, counted from the first: as if the outage never happened.
    assert flagged(after) == ["dead"]
    since = first["run"]["started_at"]
    [record] = [r for r in after["records"] if r["unpublish"]]
    assert record["unpublish_reasons"] == [
        f"originalUrl {dead} answered 404 Not Found on 2 runs since {since[:10]}"
    ]
    assert record["unpublish_since"] == since
    changes = after["changes"]
    assert changes["previous_run"]["started_at"] == since
    assert changes["still_broken"] == [{"url": dead, "consecutive_runs": 2, "since": since}]
    assert changes["newly_broken"] == changes["fixed"] == changes["flapping"] == []
    capsys.readouterr()
    assert main(["runs", "--history", str(tmp_path / "history.sqlite")]) == 0
    states = [line.split()[3] for line in capsys.readouterr().out.splitlines()[1:]]
    assert states == ["complete", "degraded", "complete"]  # newest first


def test_hosts_already_unreachable_are_old_news_not_an_outage(tmp_path, dns, site) -> None:
    folder = tmp_path / "records"
    for i, name in enumerate(ALIVE):
        write(folder, f"live-{i}", f"http://{name}:{site.port}/story/{i}")
    gone = [f"127.0.2.{i}" for i in range(1, 7)]
    for i, host in enumerate(gone):
        write(folder, f"refused-{i}", f"http://{host}:{closed_port(host)}/story")
    code, first = check(tmp_path)
    assert first["run"]["degraded"] is None  # 6 of 14 hosts: under half
    assert flagged(first) == []  # a refused connection never flags on its first run
    # The next run asks only the failing URLs again (the live ones are reused): six
    # hosts, all refusing, as they did last time. Old news, not a network down.
    code, second = check(tmp_path)
    assert second["summary"]["from_cache"] == len(ALIVE)
    assert code == 1 and second["run"]["degraded"] is None
    assert sorted(flagged(second)) == [f"refused-{i}" for i in range(6)]
    reason = next(r for r in second["records"] if r["unpublish"])["unpublish_reasons"][0]
    assert reason.endswith(
        f"refused the connection on 2 runs since {first['run']['started_at'][:10]}"
    )


def test_a_failing_canary_makes_the_run_degraded(tmp_path, dns, site) -> None:
    write(tmp_path / "records", "dead", f"http://{ALIVE[0]}:{site.port}/status/410/x")
    code, report = check(tmp_path, "--http-canary-urls", f"http://{ALIVE[1]}:{site.port}/")
    assert code == 1 and report["run"]["degraded"] is None and flagged(report) == ["dead"]
    canary = f"http://127.0.0.83:{closed_port('127.0.0.83')}/"
    code, report = check(tmp_path, "--http-canary-urls", canary)
    assert code == 3 and flagged(report) == []
    assert report["run"]["degraded"]["reason"] == f"canary URL {canary} failed: connection refused"
    assert report["run"]["degraded"]["failed_canaries"] == [
        {"url": canary, "error": "connection refused"}
    ]


@pytest.mark.corpus
def test_the_news_corpus_with_no_network_flags_nothing(tmp_path, monkeypatch, corpus) -> None:
    stub = use_stub_dns(monkeypatch, StubResolver())
    stub.outage = AGAIN
    news = tmp_path / "records" / "_news"
    shutil.copytree(corpus / "smartable-power-apps" / "_news", news)
    code, report = check(tmp_path, records=news)
    assert code == 3
    assert report["summary"]["records"] == 192 and flagged(report) == []
    degraded = report["run"]["degraded"]
    assert degraded["failed_hosts"] == degraded["contacted_hosts"] > 5
