"""linkcheck: keeps a site of article records honest by checking every link they hold."""

__version__ = "0.1.0"
# The distribution's name on PyPI ("linkcheck" belongs to another project there); the
# command and the import package are still ``linkcheck``.
DIST_NAME = "linkcheck-records"
# Where this project's documentation lives: the user agent and report help links name it.
PROJECT_URL = "https://pypi.org/project/linkcheck-records/"
