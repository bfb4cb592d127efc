"""`python -m fastnats ...` runs the command line (see `fastnats.cli`)."""

import sys

from .cli import main

sys.exit(main())
