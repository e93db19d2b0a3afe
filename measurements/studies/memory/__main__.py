"""The memory study's processes: ``python -m measurements.studies.memory --framework ... --task ...``."""

import sys

from measurements.studies.memory import main

sys.exit(main())
