"""``linkcheck lint PATH...``: what can be told of records without the network, for pre-commit.

Each file is read as ``check`` reads it and its links extracted the same way; what a
record shows alone is reported: a file or record that does not parse, a link that is
not a valid http(s) URL (``javascript:``, ``data:``, no host, a relative path with no
base URL), a published article without its links, an image without its declared size,
broken encoding, a cdnAmpWebUrl that is not its AMP page's cache URL. The ``content``
switches turn the last four off. Nothing is fetched and no history is read or written,
so a commit hook stays fast; files that hold no records (a README, a template) are
passed over.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from linkcheck.config import Config, ContentConfig
from linkcheck.inputs.collect import collect_links
from linkcheck.inputs.lint import RecordOnly, record_only_findings
from linkcheck.model import Finding, LinkRef, Record


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file; ``code`` is a record issue code or ``unreadable``."""

    source: str
    line: int | None
    code: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        what = f"{self.code} {self.field}" if self.field else self.code
        return f"{where}: {what}: {self.message}"


@dataclass(frozen=True)
class Linted:
    files: int
    records: int
    problems: tuple[Problem, ...]

    def summary(self) -> str:
        read = f"{_count(self.records, 'record')} in {_count(self.files, 'file')}"
        if not self.problems:
            return f"linkcheck lint: {read}: no problems"
        files = len({p.source for p in self.problems})
        return (
            f"linkcheck lint: {_count(len(self.problems), 'problem')} in {files} of "
            f"{_count(self.files, 'file')} ({_count(self.records, 'record')})"
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def lint(paths: Sequence[str], config: Config) -> Linted:
    """Read the inputs and find what each record shows alone, in file and line order."""
    collected = collect_links(paths, config)
    read, links = collected.read, collected.links
    problems = [Problem(e.source, e.line, "unreadable", None, e.message) for e in read.errors]
    for record in read.records:
        found = record_problems(record, links.get(record.key, []), config.content)
        problems.extend(found)
    problems.sort(key=lambda p: (p.source, p.line or 0))
    return Linted(read.files_read, len(read.records), tuple(problems))


def record_problems(
    record: Record, links: Sequence[LinkRef], content: ContentConfig
) -> Iterator[Problem]:
    """One record's findings that need no answer from the web, each at its field's line."""
    for finding in _wanted(record_only_findings(record, links), content):
        line = record.line_of(finding.field)
        yield Problem(record.source, line, finding.code, finding.field, finding.message)


def _wanted(found: RecordOnly, content: ContentConfig) -> Iterable[Finding]:
    yield from found.invalid_url  # never switched off: such a link cannot be checked at all
    if not content.enabled:
        return
    if content.missing_field:
        yield from found.missing_field
    if content.mojibake:
        yield from found.mojibake
    if content.cdn_amp:
        yield from found.cdn_amp_mismatch.values()
