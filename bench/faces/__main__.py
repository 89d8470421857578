"""`python -m bench.faces` (what `make bench` runs for face search)."""

import sys

from bench.faces.run import main

sys.exit(main())
