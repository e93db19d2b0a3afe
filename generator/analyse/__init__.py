"""Compare: statistics over fresh processes, the frameworks' figures and comparisons, and how the
figures moved between releases."""
