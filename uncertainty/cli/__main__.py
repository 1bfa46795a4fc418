"""``python -m uncertainty.cli``."""

import sys

from uncertainty.cli import main

sys.exit(main())
