"""Text from records made inert before it reaches a terminal or a Markdown page.

A record's title, a file name or a server's error text may hold control characters: an ESC
sequence moves the cursor, recolours or retitles a terminal, hides text or rewrites a line
that was printed before; U+2028 breaks a line where no line break shows; bidi overrides
make text read differently from what it is. Each such character is shown as its escape
(``\\x1b``, ``\\u202e``): nothing is lost, nothing acts.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the line and paragraph separators, bidi embeddings, overrides
# and isolates. Tabs and line feeds are kept only where a caller says so.
_ACTIVE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str, keep: str = "\n") -> str:
    """``text`` with every active character but those in ``keep`` as a visible escape."""
    if text.isprintable():
        return text
    return _ACTIVE.sub(lambda m: m[0] if m[0] in keep else _escape(m[0]), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
