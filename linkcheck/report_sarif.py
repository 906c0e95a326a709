"""SARIF 2.1.0: each failing link a result at its record's file and line.

Code-scanning tools (GitHub code scanning, IDE viewers) show SARIF results inline in
the article files. ruleId is the link's outcome (``broken``, ``unreachable``...) or a
record issue code (``mojibake``...); every rule used is listed with its description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from linkcheck.report_view import all_failing_links

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


def render_sarif(report: Mapping[str, Any]) -> str:
    """The report as a SARIF 2.1.0 log (JSON text)."""
    results = _link_results(report) + _issue_results(report) + _error_results(report)
    used = sorted({r["ruleId"] for r in results})
    tool = report.get("tool", {})
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
                        "rules": [_rule(code) for code in used],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


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


def _link_results(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "ruleId": fl.outcome,
            "level": "error",
            "message": {"text": f"{fl.field} ({fl.role}): {fl.url} -> {fl.why}"},
            "locations": [_location(fl.source, fl.line)],
        }
        for fl in all_failing_links(report)
    ]


def _issue_results(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = []
    for record in report.get("records", ()):
        lines = {lk.get("field"): lk.get("line") for lk in record.get("links", ())}
        for issue in record.get("issues", ()):
            if issue.get("code") in _COVERED:
                continue
            field = issue.get("field")
            where = f"{field}: " if field else ""
            found.append(
                {
                    "ruleId": str(issue.get("code")),
                    "level": "warning",
                    "message": {"text": f"{where}{issue.get('message', '')}"},
                    "locations": [
                        _location(
                            str(record.get("source", "")), lines.get(field) or record.get("line")
                        )
                    ],
                }
            )
    return found


def _error_results(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "ruleId": "unreadable_input",
            "level": "error",
            "message": {"text": str(e.get("message", ""))},
            "locations": [_location(str(e.get("source", "")), e.get("line"))],
        }
        for e in report.get("errors", ())
    ]
