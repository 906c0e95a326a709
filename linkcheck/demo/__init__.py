"""``linkcheck demo``: bundled sample records checked against a built-in local web.

The records cover every outcome and most content-health codes. Their URLs name
placeholder hosts (``{{site}}``, ``{{cdn}}``, ``{{tls}}``) that are filled in with
the loopback addresses the demo web listens on, so the demo works offline and
never sends a packet beyond 127.0.0.0/8.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from linkcheck.config import load_config
from linkcheck.demo.server import build_cdn, build_site
from linkcheck.engine import loop
from linkcheck.output import write_atomic
from linkcheck.pipeline import CheckOutput, ProgressSink, check

# Short waits so the whole demo takes seconds: the slow route outlives the timeout,
# the busy and flaky routes run out of retries quickly.
DEMO_SETTINGS: dict[str, Any] = {
    "http.request_timeout_s": 2.0,
    "http.read_timeout_s": 2.0,
    "http.connect_timeout_s": 2.0,
    "retry.max_attempts": 2,
    "retry.backoff_base_s": 0.1,
    "retry.retry_after_cap_s": 1.0,
    "retry.max_total_wait_s": 3.0,
    "output.formats": ["json", "html", "markdown", "junit", "sarif"],
}


# The demo web's usual port (any free port when it is taken).
DEMO_PORT = 47301


def run_demo(out_dir: str, progress: ProgressSink | None = None) -> CheckOutput:
    return loop.run(_demo(Path(out_dir), progress))


async def _demo(out: Path, progress: ProgressSink | None) -> CheckOutput:
    runners = []
    try:
        last = _last_ports(out / "demo" / "ports.json")
        site_runner, site_port = await _serve(build_site(), "127.0.0.1", last.get("site"))
        cdn_runner, cdn_port = await _serve(build_cdn(), "127.0.0.2", last.get("cdn"))
        runners = [site_runner, cdn_runner]
        ports = {"site": site_port, "cdn": cdn_port}
        write_atomic(out / "demo" / "ports.json", json.dumps(ports))
        hosts = {
            "{{site}}": f"http://127.0.0.1:{site_port}",
            "{{cdn}}": f"http://127.0.0.2:{cdn_port}",
            "{{tls}}": f"https://127.0.0.1:{site_port}",
        }
        records = write_records(out / "demo" / "records", hosts)
        settings = {
            **DEMO_SETTINGS,
            "output.dir": str(out),
            "history.path": str(out / "demo" / "history.sqlite"),
        }
        config = load_config(None, settings)
        return await check([str(records)], config, progress)
    finally:
        for runner in runners:
            await runner.cleanup()


def _last_ports(path: Path) -> dict[str, int]:
    """The ports the demo's web listened on last time (read as untrusted data)."""
    try:
        found = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        name: port
        for name, port in found.items()
        if isinstance(port, int) and not isinstance(port, bool) and 1024 <= port <= 65535
    }


async def _serve(
    app: web.Application, address: str, last_port: int | None = None
) -> tuple[web.AppRunner, int]:
    """Listen where the demo listened last time, else on its usual port, so URLs (and
    history) stay the same between runs even when another program holds the usual port."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    for port in dict.fromkeys(p for p in (last_port, DEMO_PORT, 0) if p is not None):
        site = web.TCPSite(runner, address, port)
        try:
            await site.start()
        except OSError:
            continue  # the usual port is taken: any free port will do
        return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    raise OSError(f"cannot listen on {address}")


def write_records(target: Path, hosts: dict[str, str]) -> Path:
    """Copy the bundled records with the placeholders filled in; returns the folder."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.is_file():
            old.unlink()
    for item in resources.files("linkcheck.demo").joinpath("records").iterdir():
        text = item.read_text(encoding="utf-8")
        for placeholder, value in hosts.items():
            text = text.replace(placeholder, value)
        write_atomic(target / item.name, text)
    return target
