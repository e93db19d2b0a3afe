"""Measurement harness: runs each (workload, framework, mode, device) in its own process."""

import os
import sys

# what the harness and every child import whatever they measure: never kept out (the harness refuses
# an FG_KEEP_OUT that names one, with the standard library's, instead of failing to import)
NEEDED_MODULES = frozenset({"measurements", "numpy", "rich", "psutil"})

# One framework per process: a child keeps out the modules its framework would import unasked where
# they are installed (the harness names them in FG_KEEP_OUT; see ``Framework.keeps_out``). Importing
# one of them then raises ImportError, which the framework's optional import catches.
for _name in filter(None, os.environ.get("FG_KEEP_OUT", "").split(",")):
    _top = _name.partition(".")[0]
    if _top not in NEEDED_MODULES and _top not in sys.stdlib_module_names:
        sys.modules.setdefault(_name, None)  # type: ignore[arg-type]


class UserError(Exception):
    """Bad input or a bad file: shown as one line naming the file and the fix, exit status 1."""
