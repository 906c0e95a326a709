"""docs/configuration.md is the config keys' own documentation, and stays so.

The reference is made from ``config.config_keys()`` (each key's default and text, the one
source the command line's help reads too); this test fails when a key, a default or a text
changed and the doc did not. ``LINKCHECK_UPDATE_DOCS=1 pytest tests/test_config_reference.py``
writes it again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from linkcheck.config import config_keys, config_sections, flag_of

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

HEAD = """# Configuration reference

Every key, its default and what it does. linkcheck reads, in this order: the defaults
below, then a config file (`--config FILE`, else `./linkcheck.yaml` or `./.linkcheck.yaml`,
else `./config.yaml` only when it is a linkcheck config), then command-line flags. Every
key has a flag (`--section-name`; a few also have short aliases such as `--per-host`);
`linkcheck check --help` shows the same texts. An unknown key, a wrong type or a value out
of range stops the run with one line naming the file and the key (exit code 2). The
shipped `linkcheck.yaml` states every default.

This page is made from the keys' own documentation in `linkcheck/config.py`; a test keeps
it current.
"""


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, tuple | list | dict):
        text = yaml.safe_dump(
            list(value) if isinstance(value, tuple) else value, default_flow_style=True
        ).strip()
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_reference() -> str:
    parts = [HEAD]
    sections = config_sections()
    keys = config_keys()
    for section, about in sections.items():
        parts.append(f"\n## `{section}`: {about}\n")
        parts.append("| key | default | flag | meaning |\n| --- | --- | --- | --- |")
        for info in (k for k in keys if k.section == section):
            doc = info.doc.replace("|", "\\|").replace("\n", " ")
            default = _shown(info.default).replace("|", "\\|")
            parts.append(f"| `{info.dotted}` | `{default}` | `{flag_of(info.dotted)}` | {doc} |")
    return "\n".join(parts) + "\n"


def test_configuration_reference_is_current() -> None:
    text = render_reference()
    if os.environ.get("LINKCHECK_UPDATE_DOCS"):
        DOC.write_text(text, "utf-8")
    assert DOC.read_text("utf-8") == text, "run LINKCHECK_UPDATE_DOCS=1 pytest " + __file__


def test_every_key_is_in_the_reference() -> None:
    text = DOC.read_text("utf-8")
    missing = [k.dotted for k in config_keys() if f"`{k.dotted}`" not in text]
    assert missing == []
