"""The data-pipeline study's processes: ``python -m measurements.studies.pipeline measure|prepare``."""

import sys

from measurements.studies.pipeline import main

sys.exit(main())
