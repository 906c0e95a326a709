"""SARIF 2.1.0: each failing link a result at its record's file and line.

Code-scanning tools (GitHub code scanning, IDE viewers) show SARIF results inline in
the article files. ruleId is the link's outcome (``broken``, ``unreachable``...) or a
record issue code (``mojibake``...); every rule used is listed with its description.

The results are as many as the failing links, so the log is written as a stream: the
link results are spooled while the rules they use are gathered (the rules come first),
then the record issues follow from a second, cheap pass over the records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from linkcheck.output import write_chunks
from linkcheck.reports.source import Report, as_report
from linkcheck.reports.view import (
    FailingLink,
    Spool,
    batches,
    degraded,
    degraded_text,
    iter_failing_links,
)

# Where the results list goes in the log's text; indent of a result's lines in it.
_MARK = "@@linkcheck-sarif-results@@"
_INDENT = " " * 8

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/linkcheck/linkcheck#reports"

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
    "cache_stale": "The response is past its freshness lifetime.",
    "image_size_mismatch": "Declared width/height differ from the image's real size.",
    "cdn_amp_mismatch": "cdnAmpWebUrl is not the AMP cache URL of ampWebUrl.",
    "cdn_stale": "The AMP cache copy is older than its origin.",
    "cached_image_changed": "An image marked isCached whose origin content changed.",
    "mojibake": "A text field with broken encoding (such as nationâ€™s).",
    "insecure_url": "http:// where https:// works.",
    "duplicate_original": "Another record has the same originalUrl.",
    "missing_field": "A required field is missing.",
    "invalid_url": "A URL field whose value is not a valid URL.",
    "unreadable_input": "An input file that could not be read or parsed.",
}
# Record issues already reported as failing-link results.
_COVERED = {"broken_link"}


def render_sarif(report: Report | Mapping[str, Any]) -> str:
    """The report as a SARIF 2.1.0 log (JSON text)."""
    return "".join(sarif_pieces(as_report(report)))


def write_sarif(report: Report | Mapping[str, Any], path: str | Path) -> Path:
    """``render_sarif`` streamed into ``path`` atomically."""
    return write_chunks(path, (piece.encode() for piece in sarif_pieces(as_report(report))))


def sarif_pieces(report: Report) -> Iterator[str]:
    """The text of ``json.dumps(log, indent=2, ensure_ascii=False)``, results streamed."""
    used: set[str] = set()
    spool = Spool()
    count = 0
    for batch in batches(iter_failing_links(report)):
        used.update(fl.outcome for fl in batch)
        spool.write("".join(_item(count + i, _link_result(fl)) for i, fl in enumerate(batch)))
        count += len(batch)
    for record in report.records():
        used.update(str(i.get("code")) for i in record.get("issues", ()) if _reported(i))
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
                **({"invocations": _degraded_invocation(down)} if down else {}),
                "results": _MARK,
            }
        ],
    }
    before, after = json.dumps(log, indent=2, ensure_ascii=False).split(json.dumps(_MARK))
    yield before
    yield from spool.chunks()
    for batch in batches(report.records()):
        results = [r for record in batch for r in _issue_results(record)]
        yield "".join(_item(count + i, r) for i, r in enumerate(results))
        count += len(results)
    yield "".join(_item(count + i, r) for i, r in enumerate(_error_results(errors)))
    count += len(errors)
    yield ("\n" + _INDENT[:-2] + "]" if count else "[]") + after + "\n"


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


def _location(source: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(source, safe="/")}}
    if isinstance(line, int) and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _link_result(fl: FailingLink) -> dict[str, Any]:
    return {
        "ruleId": fl.outcome,
        "level": "error",
        "message": {"text": f"{fl.field} ({fl.role}): {fl.url} -> {fl.why}"},
        "locations": [_location(fl.source, fl.line)],
    }


def _reported(issue: Mapping[str, Any]) -> bool:
    return issue.get("code") not in _COVERED


def _issue_results(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    lines = {lk.get("field"): lk.get("line") for lk in record.get("links", ())}
    found = []
    for issue in record.get("issues", ()):
        if not _reported(issue):
            continue
        field = issue.get("field")
        where = f"{field}: " if field else ""
        found.append(
            {
                "ruleId": str(issue.get("code")),
                "level": "warning",
                "message": {"text": f"{where}{issue.get('message', '')}"},
                "locations": [
                    _location(str(record.get("source", "")), lines.get(field) or record.get("line"))
                ],
            }
        )
    return found


def _error_results(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "ruleId": "unreadable_input",
            "level": "error",
            "message": {"text": str(e.get("message", ""))},
            "locations": [_location(str(e.get("source", "")), e.get("line"))],
        }
        for e in errors
    ]
