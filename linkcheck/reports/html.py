"""The HTML report: one self-contained file an editor can open, even at 100,000 URLs.

The summary, charts and the first failing rows are rendered on the server (Jinja2,
autoescape on) so the page reads without JavaScript. The full data travels as JSON in a
``<script type="application/json">`` block and the inline script renders it in pages
of 100 rows with ``textContent``, so size costs one JSON.parse, not a huge DOM.
A Content-Security-Policy with the hashes of the one inline script and style forbids
every other script, style, image and connection: the file never touches the network,
and nothing in a record can run.

The page is written as a stream (``write_html``): per-host numbers, counts and the first
rows shown without JavaScript are gathered first, then the template is generated piece by
piece, and the script's data is emitted in batches of rows during a pass over each list.
Of a stored report (a run's) every one of those comes from columns written with its rows
(report_rows): per-host numbers are a GROUP BY, the script's rows stored text, and no
entry is decoded but the few rows shown. A plain report dict is walked instead, with the
same row functions (``url_script_parts``, ``record_script``), so both give the same bytes.
Only capped row lists, per-host numbers and (for a dict) the records' anchor slugs are
held, never a list of every URL or record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from linkcheck.output import runs, write_chunks
from linkcheck.reports.source import Report, as_report
from linkcheck.reports.view import (
    HEALTHS,
    NO_HOST,
    OUTCOMES,
    ROLES,
    Anchors,
    HostStats,
    batches,
    degraded,
    degraded_text,
    fail_on,
    host_of,
    record_key,
    report_host_stats,
    safe_href,
    url_anchor,
    why,
)
from linkcheck.store.report import StoredReport

# Rows rendered on the server per table, for readers without JavaScript.
SSR_ROWS = 200
# Records listed in the "Flagged to unpublish" table.
UNPUB_ROWS = 25
CHART_HOSTS = 8
# Rows of the script's data encoded per piece: few calls into orjson, small pieces.
DATA_BATCH = 1000
# Pieces of text gathered before one encode and write.
TEXT_CHUNK = 1 << 20


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("linkcheck.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["when"] = when
    return env


@cache
def _asset(name: str) -> tuple[str, str]:
    """An inline asset's text and its CSP hash source ('sha256-...')."""
    loader = _env().loader
    assert loader is not None
    text = loader.get_source(_env(), name)[0]
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


def render_html(report: Report | Mapping[str, Any]) -> str:
    """The report as one HTML page (pure: no I/O beyond reading the packaged template)."""
    html = "".join(html_pieces(as_report(report)))
    # A lone surrogate from a broken input must not make the file unwritable.
    return html.encode("utf-8", "replace").decode("utf-8")


def write_html(report: Report | Mapping[str, Any], path: str | Path) -> Path:
    """``render_html`` streamed into ``path`` atomically, ~1 MB of text at a time."""
    return write_chunks(path, _encoded(html_pieces(as_report(report))))


def _encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    """UTF-8 of the pieces, gathered into ~``TEXT_CHUNK`` runs (Jinja yields tiny pieces)."""
    for run in runs(pieces, TEXT_CHUNK):
        yield "".join(run).encode("utf-8", "replace")


def html_pieces(report: Report) -> Iterator[str]:
    """The page as a stream of text pieces, in order."""
    css, css_hash = _asset("report.css")
    js, js_hash = _asset("report.js")
    view = build_view(report)
    return (
        _env()
        .get_template("report.html.j2")
        .generate(
            **view,
            css=Markup(css),
            js=Markup(js),
            csp=(
                "default-src 'none'; "
                f"style-src {css_hash}; script-src {js_hash}; img-src 'none'; "
                "connect-src 'none'; font-src 'none'; object-src 'none'; "
                "base-uri 'none'; form-action 'none'"
            ),
        )
    )


def when(value: Any) -> str:
    """An ISO 8601 UTC time as '2026-11-26 03:00:42 UTC'; anything else as it is."""
    text = str(value)
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|\+00:00)", text)
    return f"{match[1]} {match[2]} UTC" if match else text


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>', '&' or line separators stay raw."""
    text = _ascii_json(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Characters json.dumps(ensure_ascii=True) escapes that orjson writes raw.
_NOT_ASCII = re.compile("[\x7f-\U0010ffff]")


def _ascii_json(data: Any) -> str:
    """Exactly ``json.dumps(data, ensure_ascii=True, separators=(",", ":"))``, in C.

    orjson plus escaping its few non-ASCII characters is ~3x faster on a 100k-URL view
    (0.3 s of a 10k-record re-run). What orjson refuses (lone surrogates, huge ints,
    non-string keys) goes to the stdlib encoder as before.
    """
    try:
        text = orjson.dumps(data).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    if text.isascii() and "\x7f" not in text:
        return text  # most rows: a C scan instead of a regex one
    return _NOT_ASCII.sub(_u_escape, text)


def _u_escape(match: re.Match[str]) -> str:
    """``\\uXXXX`` as json.dumps writes it: lower-case hex, a surrogate pair above U+FFFF."""
    code = ord(match[0])
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


# The server-rendered records, worst first: flagged and broken, flagged, broken, warning.
_RANK = {"broken": 0, "warning": 1, "ok": 2}


@dataclass
class _RecordPass:
    """What a pass over a plain report's records keeps: capped rows and counts (a stored
    report answers the same from its columns: ``_stored_records``)."""

    flagged: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    flagged_count: int = 0
    problems: dict[tuple[bool, int], list[tuple[Mapping[str, Any], str]]] = field(
        default_factory=dict
    )
    problem_count: int = 0
    healths: Counter[Any] = field(default_factory=Counter)

    def add(self, record: Mapping[str, Any], anchor: str) -> None:
        self.healths[record.get("health")] += 1
        if record.get("unpublish"):
            self.flagged_count += 1
            if len(self.flagged) < UNPUB_ROWS:
                self.flagged.append((record, anchor))
        if record.get("health") == "ok" and not record.get("unpublish"):
            return
        self.problem_count += 1
        # A stable sort on this key keeps record order within a rank: the first
        # SSR_ROWS of each rank are all the sorted list's first SSR_ROWS can hold.
        rank = (not record.get("unpublish"), _RANK.get(str(record.get("health")), 3))
        rows = self.problems.setdefault(rank, [])
        if len(rows) < SSR_ROWS:
            rows.append((record, anchor))

    def ssr_records(self) -> list[tuple[Mapping[str, Any], str]]:
        return [row for rank in sorted(self.problems) for row in self.problems[rank]][:SSR_ROWS]


def _record_pass(report: Report) -> _RecordPass:
    """Rows and counts of the records: one pass over a plain report, a few queries of a
    stored one's columns (its health, unpublish and anchor columns)."""
    if not isinstance(report, StoredReport):
        found = _RecordPass()
        anchors = Anchors()
        for record in report.records():
            found.add(record, anchors.next(record))
        return found
    flagged_count, flagged = report.flagged(UNPUB_ROWS)
    problem_count, problems = report.problems(SSR_ROWS)
    return _RecordPass(
        flagged=flagged,  # type: ignore[arg-type]
        flagged_count=flagged_count,
        problems={(False, 0): problems},  # type: ignore[dict-item]  # ranked already
        problem_count=problem_count,
        healths=Counter(report.health_counts()),
    )


def _outcome_counts(report: Report) -> Counter[str]:
    if isinstance(report, StoredReport):
        return Counter(report.outcome_counts())
    return Counter(outcome for _, outcome, _, _ in report.url_tallies())


def _ssr_urls(report: Report, failing: frozenset[str], outcomes: Counter[str]) -> list[Any]:
    """Failing URLs first, then the other ones that are not ok."""
    bad = list(islice(report.urls(outcomes=failing), SSR_ROWS))
    others = [o for o in outcomes if o not in failing and o != "ok"]
    rest = list(islice(report.urls(outcomes=others), SSR_ROWS)) if others else []
    return (bad + rest)[:SSR_ROWS]


def build_view(report: Report | Mapping[str, Any]) -> dict[str, Any]:
    """Everything the template shows; ``data_json`` streams the script's data when iterated."""
    report = as_report(report)
    failing = fail_on(report)
    hosts = report_host_stats(report, failing)
    outcomes = _outcome_counts(report)
    bad_count = sum(n for o, n in outcomes.items() if o in failing)
    rest_count = sum(n for o, n in outcomes.items() if o not in failing and o != "ok")
    record_pass = _record_pass(report)
    summary = report.get("summary", {})
    by_outcome = _by_outcome(summary, outcomes)
    ssr_records = _ssr_records(report, record_pass.ssr_records(), failing)
    return {
        "report": report.head,
        "summary": summary,
        "run": report.get("run", {}),
        "tool": report.get("tool", {}),
        "failing": sorted(failing),
        "by_outcome": by_outcome,
        "by_health": _by_health(summary, record_pass.healths),
        "unpublish": record_pass.flagged,
        "unpublish_count": record_pass.flagged_count,
        "unpub_rows": UNPUB_ROWS,
        "changes": report.get("changes"),
        "degraded": degraded_text(down) if (down := degraded(report)) else None,
        "errors": list(report.get("errors") or ()),
        "republish": [r for r in report.get("republish") or () if isinstance(r, Mapping)],
        "outcome_chart": _bar_chart(by_outcome, "Outcomes"),
        "host_chart": _host_chart(hosts, failing),
        "ssr_records": ssr_records,
        "ssr_records_more": max(0, record_pass.problem_count - SSR_ROWS),
        "ssr_urls": _ssr_urls(report, failing, outcomes),
        "ssr_urls_more": max(0, bad_count + rest_count - SSR_ROWS),
        "ssr_hosts": hosts[:SSR_ROWS],
        "ssr_hosts_more": max(0, len(hosts) - SSR_ROWS),
        "url_anchor": url_anchor,
        "data_json": _script_data(report, hosts, failing),
    }


def _by_outcome(summary: Mapping[str, Any], counted: Mapping[str, int]) -> dict[str, int]:
    counts = summary.get("by_outcome") or counted
    return {name: int(counts.get(name, 0)) for name in OUTCOMES}


def _by_health(summary: Mapping[str, Any], counted: Mapping[str, int]) -> dict[str, int]:
    counts = summary.get("by_health") or counted
    return {name: int(counts.get(name, 0)) for name in HEALTHS}


def _ssr_records(
    report: Report, rows: list[tuple[Mapping[str, Any], str]], failing: frozenset[str]
) -> list[dict[str, Any]]:
    """The rows' records with their failing links resolved (one lookup for them all)."""
    index = report.lookup(
        link.get("url") or "" for record, _ in rows for link in record.get("links", ())
    )
    found = []
    for record, anchor in rows:
        links = []
        for link in record.get("links", ()):
            entry = index.get(link.get("url") or "")
            outcome = entry["outcome"] if entry else "invalid"
            if outcome in failing:
                links.append({**link, "outcome": outcome, "why": why(entry)})
        found.append({"r": record, "anchor": anchor, "failing": links})
    return found


def _bar_chart(counts: Mapping[str, int], title: str) -> dict[str, Any]:
    """Horizontal bars as plain numbers; the template draws them as inline SVG."""
    items = [(k, v) for k, v in counts.items() if v]
    top = max((v for _, v in items), default=1)
    bars = [
        {"label": k, "value": v, "width": round(220 * v / top, 1), "y": 22 * i}
        for i, (k, v) in enumerate(items)
    ]
    return {"title": title, "bars": bars, "height": max(22 * len(bars), 22)}


def _host_chart(hosts: list[HostStats], failing: frozenset[str]) -> dict[str, Any]:
    worst = [h for h in hosts if h.failures][:CHART_HOSTS]
    return _bar_chart({h.host: h.failures for h in worst}, "Hosts with most failures")


def _script_data(
    report: Report, hosts: list[HostStats], failing: frozenset[str]
) -> Iterator[Markup]:
    """The script's data as JSON text pieces: exactly ``embed_json`` of one dict of compact
    column arrays (the column order is documented in report.js), its two long lists
    streamed a batch of rows at a time."""
    head: dict[str, Any] = {
        "outcomes": list(OUTCOMES),
        "roles": list(ROLES),
        "healths": list(HEALTHS),
        "failOn": sorted(failing),
        "hosts": [
            [
                h.host,
                h.urls,
                h.requests,
                h.failures,
                h.slowest_ms,
                h.avg_ms,
                h.rate_limited,
                h.blocked,
                h.limit_min,
                h.limit_max,
                round(h.paused_s, 1),
            ]
            for h in hosts
        ],
    }
    head["changes"] = _change_rows(report)
    host_pos = {h.host: i for i, h in enumerate(hosts)}
    yield Markup(embed_json(head)[:-1] + ',"urls":')
    yield from _json_list(_url_texts(report, host_pos))
    yield Markup(',"records":')
    yield from _json_list(_record_texts(report))
    yield Markup(',"noHost":' + embed_json(NO_HOST) + "}")


CHANGE_KINDS = ("newly_broken", "fixed", "still_broken", "flapping")


def _change_rows(report: Report) -> dict[str, list[int]]:
    """Each list of ``changes`` as the URL rows it names (for the "Changed" filter); the
    lists hold failing URLs, so they are short."""
    changes = report.get("changes")
    if not isinstance(changes, Mapping):
        return {}
    found = {}
    for kind in CHANGE_KINDS:
        items = changes.get(kind) or ()
        named = [i.get("url") if isinstance(i, Mapping) else i for i in items]
        urls = [u for u in named if isinstance(u, str)]
        if urls:
            pos = report.positions(urls)
            found[kind] = sorted({pos[u] for u in urls if u in pos})
    return found


def _url_texts(report: Report, host_pos: Mapping[str, int]) -> Iterator[str]:
    """``embed_json`` of each URL's script row; a stored report keeps them but for the
    host's index (hosts are ranked only once every URL is known)."""
    if isinstance(report, StoredReport):
        for head, host, tail in report.url_scripts():
            yield f"{head},{host_pos.get(host, 0)},{tail}"
        return
    for u in report.urls():
        head, tail = url_script_parts(u)
        yield f"{head},{host_pos.get(host_of(u['url']), 0)},{tail}"


def _record_texts(report: Report) -> Iterator[str]:
    """``embed_json`` of each record's script row: stored, or made in batches, each asking
    the positions of just its links' URLs."""
    if isinstance(report, StoredReport):
        yield from report.record_scripts()
        return
    anchors = Anchors()
    for batch in batches(report.records()):
        url_pos = report.positions(
            link.get("url") or "" for r in batch for link in r.get("links", ())
        )
        for r in batch:
            yield record_script(r, anchors.next(r), url_pos)


def _json_list(texts: Iterable[str]) -> Iterator[Markup]:
    """A JSON list of the given element texts, ``DATA_BATCH`` elements a piece."""
    glue = "["
    for batch in batches(texts, DATA_BATCH):
        yield Markup(glue + ",".join(batch))
        glue = ","
    yield Markup("[]" if glue == "[" else "]")


_OUTCOME_POS = {o: i for i, o in enumerate(OUTCOMES)}
_ROLE_POS = {r: i for i, r in enumerate(ROLES)}


def url_script_parts(u: Mapping[str, Any]) -> tuple[str, str]:
    """``embed_json`` of a URL's script row, cut around its host's index: the text before
    the comma that precedes it and the text after the comma that follows it."""
    cache_info = u.get("cache") or {}
    fresh = cache_info.get("fresh")
    head = [
        u["url"],
        _OUTCOME_POS.get(u["outcome"], len(OUTCOMES) - 1),
        u.get("status"),
        u.get("final_url") if u.get("final_url") != u["url"] else "",
        [[h.get("url"), h.get("status")] for h in u.get("redirects") or ()],
        int(u.get("elapsed_ms") or 0),
        None if fresh is None else int(bool(fresh)),
        list(u.get("issues") or ()),
        int(u.get("referrers") or 0),
        u.get("error"),
    ]
    age, lifetime = cache_info.get("age_s"), cache_info.get("freshness_lifetime_s")
    anchor = url_anchor(u["url"])
    from_cache = int(bool(u.get("from_cache")))
    cacheable = cache_info.get("cacheable")
    if _plain_int(age) and _plain_int(lifetime) and cacheable in _BOOL_JSON:
        # What embed_json writes for these, without encoding (1 of 2 encodes per URL).
        tail = (
            f'{from_cache},"{anchor}",{_int_json(age)},{_int_json(lifetime)},'
            f"{_BOOL_JSON[cacheable]}]"
        )
    else:
        tail = embed_json([from_cache, anchor, age, lifetime, cacheable])[1:]
    return embed_json(head)[:-1], tail


# JSON of the values ``cache.cacheable`` takes (a dict: bool and None are hashable).
_BOOL_JSON = {True: "true", False: "false", None: "null"}


def _plain_int(value: Any) -> bool:
    return value is None or type(value) is int


def _int_json(value: int | None) -> str:
    return "null" if value is None else str(value)


def record_script(r: Mapping[str, Any], anchor: str, url_pos: Mapping[str, int]) -> str:
    """``embed_json`` of a record's script row; ``url_pos`` holds its links' URL positions."""
    links = []
    for link in r.get("links", ()):
        url = link.get("url") or ""
        row = [
            link.get("field", ""),
            _ROLE_POS.get(link.get("role"), len(ROLES) - 1),
            url_pos.get(url, -1),
            link.get("line"),
        ]
        if row[2] < 0:
            row.append(url)
        links.append(row)
    return embed_json(
        [
            record_key(r),
            r.get("source", ""),
            r.get("title"),
            HEALTHS.index(r["health"]) if r.get("health") in HEALTHS else 0,
            r.get("published"),
            int(bool(r.get("unpublish"))),
            list(r.get("unpublish_reasons") or ()),
            r.get("archive_url"),
            links,
            [[i.get("code"), i.get("field"), i.get("message")] for i in r.get("issues", ())],
            anchor,
        ]
    )
