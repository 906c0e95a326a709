"""Screenshot of the HTML report of a JSON report: ``bench/screenshot.py REPORT.json OUT.png``.

Renders REPORT.json with linkcheck's HTML renderer, opens it in Debian's headless
chromium (never a downloaded browser) and saves a full-width PNG of the top of the page.
``--html`` takes an already rendered HTML file instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def screenshot(html_path: Path, out: Path, width: int = 1280, height: int = 1700) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(html_path.resolve().as_uri(), timeout=30_000)
            page.wait_for_selector("html[data-ready='1']", timeout=30_000)
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="report.json (or HTML with --html)")
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("--html", action="store_true", help="REPORT is already HTML")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1700)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshot: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    if args.html:
        screenshot(args.report, args.out, args.width, args.height)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from linkcheck.reports.html import render_html

    report = json.loads(args.report.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(render_html(report), encoding="utf-8")
        screenshot(html, args.out, args.width, args.height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
