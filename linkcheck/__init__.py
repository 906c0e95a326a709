"""linkcheck: keeps a site of article records honest by checking every link they hold."""

__version__ = "0.1.0"
