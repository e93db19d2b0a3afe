"""The export study's convert and serve processes: ``python -m measurements.studies.export convert|serve``."""

import sys

from measurements.studies.export import main

sys.exit(main())
