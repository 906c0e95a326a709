"""An offline run (``http.offline``, ``--offline``): nothing is sent, site files are checked.

Links under the site's base URL are judged from the files under ``site.root_dir``
(sitefiles.py), as in any run; every other URL is reported ``excluded`` instead of
being requested. Whatever else would send a request is off for the run (https twins,
canaries, archive lookups), and so is the history: an offline run, which judges almost
nothing, must not become the previous run a nightly job compares with, nor break a
streak. The report's ``run.config`` shows the settings the run actually had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime

from linkcheck.config import Config
from linkcheck.model import FailureKind, Outcome, UrlResult

REASON = "offline run: not requested"


def offline_config(config: Config) -> Config:
    """``config`` with everything that would send a request or touch history turned off."""
    if not config.http.offline:
        return config
    return dataclasses.replace(
        config,
        http=dataclasses.replace(config.http, canary_urls=()),
        content=dataclasses.replace(config.content, insecure_url=False),
        history=dataclasses.replace(config.history, enabled=False),
        archive=dataclasses.replace(config.archive, enabled=False),
    )


def not_requested(urls: Iterable[str], now: datetime) -> Iterator[UrlResult]:
    """The ``excluded`` verdict of each URL an offline run leaves alone."""
    for url in urls:
        yield UrlResult(
            url=url,
            outcome=Outcome.EXCLUDED,
            status=None,
            final_url=url,
            error=REASON,
            failure=FailureKind.EXCLUDED,
            checked_at=now,
        )
