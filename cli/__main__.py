"""`python -m cli …` runs `cited …` without the installed console script."""

import sys

from cli.main import main

sys.exit(main())
