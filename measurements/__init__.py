"""Measurement harness: runs each (workload, framework, mode, device) in its own process."""


class UserError(Exception):
    """Bad input or a bad file: shown as one line naming the file and the fix, exit status 1."""
