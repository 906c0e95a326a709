"""``python -m linkcheck``: the same command line as the ``linkcheck`` script."""

import sys

from linkcheck.cli import main

sys.exit(main())
