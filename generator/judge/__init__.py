"""Judge: the evidence a rule picks, the claims it supports, the recommendations and their error rates."""
