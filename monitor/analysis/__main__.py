"""`python -m monitor.analysis analyze FILE` and `… evaluate FILE`."""

import sys

from monitor.analysis.cli import main

sys.exit(main())
