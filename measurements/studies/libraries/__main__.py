"""The kernel-library study's child: ``python -m measurements.studies.libraries <framework>``."""

import sys

from measurements.launch import report
from measurements.studies.libraries import probe

report(probe(sys.argv[1]))
