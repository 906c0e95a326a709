"""The one exception family that stops a run; its message is the line the user sees.

Bad input and failed URLs are values (``RecordError``, ``UrlResult``), not exceptions.
"""


class LinkcheckError(Exception):
    """Stops the run with exit code 2; ``str(exc)`` is the whole message."""


class ConfigError(LinkcheckError):
    """A config file or flag is unknown, mistyped or out of range."""


class UsageError(LinkcheckError):
    """The command line asks for something that cannot be done."""


class OutputError(LinkcheckError):
    """A report cannot be written where it was asked for."""
