"""SARIF 2.1.0: each finding a result at its record's file and the line of its field.

Code-scanning tools (GitHub code scanning, IDE viewers) show SARIF results inline in the
article files. ruleId is the link's outcome (``broken``, ``timeout``...), a URL's content
code (``soft_404``, ``redirect_to_home``...) or a record issue code (``mojibake``...);
every rule used is listed with its description. Failing outcomes are errors, every
other finding a warning. Each result carries a ``partialFingerprints`` entry made of
the rule, the file, the field and the URL, so a finding keeps its identity across runs
when lines move; file locations are relative to ``%SRCROOT%`` (the folder the run was
made from: the repository root in CI) when they lie under it, absolute ``file:`` URIs
when not.

The results are as many as the findings, so the log is written as a stream: the results
are spooled while the rules they use are gathered (the rules come first); only the
records in trouble and the URLs with content issues are read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import orjson

from linkcheck import PROJECT_URL
from linkcheck.output import write_chunks
from linkcheck.reports.source import Report, as_report
from linkcheck.reports.view import (
    FailingLink,
    Spool,
    batches,
    degraded,
    degraded_text,
    fail_on,
    troubled_records,
    url_issue_index,
)

# Where the results list goes in the log's text; indent of a result's lines in it.
_MARK = "@@linkcheck-sarif-results@@"
_INDENT = " " * 8

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = PROJECT_URL
SRCROOT = "%SRCROOT%"
FINGERPRINT = "linkcheckFinding/v1"

RULES = {
    "broken": "The link answers with a definitive client error (404, 410, other 4xx).",
    "server_error": "The link answers 5xx even after retries.",
    "rate_limited": "The link answers 429 even after retries.",
    "blocked": "A bot wall answered instead of the page.",
    "timeout": "The link gave no complete answer within the time limit.",
    "unreachable": "DNS failure, refused or reset connection, or a redirect loop.",
    "tls_error": "Certificate or TLS handshake failure.",
    "invalid": "Not a checkable URL: malformed, or an unsupported or unsafe scheme.",
    "excluded": "Matched an exclude rule; not requested.",
    "soft_404": "A 2xx page that says it is missing.",
    "redirect_to_home": "An article URL that lands on a site's front page.",
    "content_type_mismatch": "An image that is not an image, or an article that is not HTML.",
    "amp_invalid": "An AMP URL whose page is not an AMP document.",
    "cache_stale": "A copy served past its freshness (a cache or CDN copy older than allowed).",
    "content_drift": "The article URL's page title no longer resembles the record's.",
    "parked_domain": "A domain-parking or for-sale page answered instead of the article.",
    "fragment_missing": "The page has no anchor for the link's #fragment.",
    "image_size_mismatch": "Declared width/height differ from the image's real size.",
    "cdn_amp_mismatch": "cdnAmpWebUrl is not the AMP cache URL of ampWebUrl.",
    "cdn_stale": "The AMP cache copy is older than its origin.",
    "cached_image_changed": "An image marked isCached whose origin content changed.",
    "mojibake": "A text field with broken encoding (such as nationâ€™s).",
    "insecure_url": "http:// where https:// works.",
    "duplicate_original": "Another record has the same originalUrl.",
    "missing_field": "A required field is missing.",
    "invalid_url": "A URL field whose value is not a valid URL.",
    "article_gone": "The article link answers, but with a page that says it is gone.",
    "unreadable_input": "An input file that could not be read or parsed.",
}
# Record issues already reported as the results of the links they are about.
_COVERED = {"broken_link", "blocked_link"}


def render_sarif(report: Report | Mapping[str, Any], base: str | Path | None = None) -> str:
    """The report as a SARIF 2.1.0 log (JSON text); file paths relative to ``base`` (by
    default the current folder: a run's sources are paths as given, from there)."""
    return "".join(sarif_pieces(as_report(report), base))


def write_sarif(
    report: Report | Mapping[str, Any], path: str | Path, base: str | Path | None = None
) -> Path:
    """``render_sarif`` streamed into ``path`` atomically."""
    pieces = sarif_pieces(as_report(report), base)
    return write_chunks(path, (piece.encode() for piece in pieces))


def sarif_pieces(report: Report, base: str | Path | None = None) -> Iterator[str]:
    """The text of ``json.dumps(log, indent=2, ensure_ascii=False)``, results streamed."""
    where = _Locator(Path.cwd() if base is None else base)
    failing = fail_on(report)
    issues_of = url_issue_index(report)
    used: set[str] = set()
    spool = Spool()
    count = 0
    for batch in batches(troubled_records(report)):
        results = [
            r for record, bad in batch for r in _record_results(record, bad, failing, issues_of)
        ]
        used.update(r["ruleId"] for r in results)
        spool.write("".join(_item(count + i, where.fill(r)) for i, r in enumerate(results)))
        count += len(results)
    errors = report.get("errors") or ()
    if errors:
        used.add("unreadable_input")
    tool = report.get("tool", {})
    down = degraded(report)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": str(tool.get("name", "linkcheck")),
                        "version": str(tool.get("version", "0")),
                        "informationUri": INFO_URI,
                        "rules": [_rule(code) for code in sorted(used)],
                    }
                },
                "originalUriBaseIds": where.base_ids(),
                **({"invocations": _degraded_invocation(down)} if down else {}),
                "results": _MARK,
            }
        ],
    }
    before, after = json.dumps(log, indent=2, ensure_ascii=False).split(json.dumps(_MARK))
    yield before
    yield from spool.chunks()
    results = [where.fill(r) for r in _error_results(errors)]
    yield "".join(_item(count + i, r) for i, r in enumerate(results))
    count += len(results)
    yield ("\n" + _INDENT[:-2] + "]" if count else "[]") + after + "\n"


class _Locator:
    """Turns a result's (source, line) into its location: relative to ``%SRCROOT%`` when
    the file lies under the base folder, else an absolute ``file:`` URI, else as given."""

    def __init__(self, base: str | Path) -> None:
        self.base = os.path.abspath(base)

    def base_ids(self) -> dict[str, Any]:
        return {SRCROOT: {"uri": Path(self.base).as_uri().rstrip("/") + "/"}}

    def fill(self, result: dict[str, Any]) -> dict[str, Any]:
        source, line = result.pop("_at")
        result["locations"] = [{"physicalLocation": self._physical(source, line)}]
        return result

    def _physical(self, source: str, line: Any) -> dict[str, Any]:
        physical: dict[str, Any] = {"artifactLocation": self._artifact(source)}
        if isinstance(line, int) and not isinstance(line, bool) and line >= 1:
            physical["region"] = {"startLine": line}
        return physical

    def _artifact(self, source: str) -> dict[str, Any]:
        absolute = os.path.isabs(source)
        full = os.path.normpath(source if absolute else os.path.join(self.base, source))
        if full.startswith(self.base.rstrip(os.sep) + os.sep):
            relative = PurePosixPath(*Path(os.path.relpath(full, self.base)).parts)
            return {"uri": quote(str(relative), safe="/"), "uriBaseId": SRCROOT}
        return {"uri": Path(full).as_uri()}  # outside the base folder: where it is


def _record_results(
    record: Mapping[str, Any],
    bad: Sequence[FailingLink],
    failing: frozenset[str],
    issues_of: Mapping[str, Sequence[str]],
) -> list[dict[str, Any]]:
    """Every finding of one record: its links that are not ok, the content issues of its
    links' URLs, then its own issues (each at its field's line)."""
    source = str(record.get("source", ""))
    found = [
        _result(
            fl.outcome,
            "error" if fl.outcome in failing else "warning",
            f"{fl.field} ({fl.role}): {fl.url} -> {fl.why}",
            (source, fl.line),
            (fl.field, fl.url),
        )
        for fl in bad
    ]
    for link in record.get("links") or ():
        url = str(link.get("url") or "")
        for code in issues_of.get(url, ()):
            text = f"{link.get('field')} ({link.get('role')}): {url}: {RULES.get(code, code)}"
            where = (source, link.get("line"))
            found.append(_result(code, "warning", text, where, (link.get("field"), url)))
    for issue in record.get("issues") or ():
        code = str(issue.get("code"))
        if code in _COVERED:
            continue
        field = issue.get("field")
        text = f"{field}: {issue.get('message', '')}" if field else str(issue.get("message", ""))
        where = (source, issue.get("line") or _link_line(record, field) or record.get("line"))
        found.append(_result(code, "warning", text, where, (field, "")))
    return found


def _link_line(record: Mapping[str, Any], field: Any) -> Any:
    return next(
        (lk.get("line") for lk in record.get("links") or () if lk.get("field") == field), None
    )


def _result(
    rule: str, level: str, text: str, at: tuple[str, Any], what: tuple[Any, Any]
) -> dict[str, Any]:
    """A result; its location is filled in by ``_Locator`` (from ``_at``)."""
    identity = "\0".join((rule, at[0], str(what[0] or ""), str(what[1] or "")))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {
        "ruleId": rule,
        "level": level,
        "message": {"text": text},
        "_at": at,
        "partialFingerprints": {FINGERPRINT: digest},
    }


def _degraded_invocation(down: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run did not succeed: the network looked down (SARIF's place for that)."""
    notice = {"level": "error", "message": {"text": degraded_text(down)}}
    return [{"executionSuccessful": False, "toolExecutionNotifications": [notice]}]


def _item(position: int, result: Mapping[str, Any]) -> str:
    """One result as it reads in the indented list (its opening bracket before the first)."""
    text = _dumps(result).replace("\n", "\n" + _INDENT)
    return ("[\n" if position == 0 else ",\n") + _INDENT + text


def _dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, in C when orjson can.

    The stdlib's indenting encoder builds a cycle of closures per call: with the cyclic
    collector paused while reports are written, one per result would pile up (~2 KB each).
    orjson writes the same text; what it refuses (lone surrogates) goes to the stdlib.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, indent=2, ensure_ascii=False)


def _rule(code: str) -> dict[str, Any]:
    text = RULES.get(code, f"linkcheck finding {code}.")
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("_")),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "helpUri": INFO_URI,
    }


def _error_results(errors: Any) -> list[dict[str, Any]]:
    return [
        _result(
            "unreadable_input",
            "error",
            str(e.get("message", "")),
            (str(e.get("source", "")), e.get("line")),
            ("", ""),
        )
        for e in errors
    ]
