"""`make bench`: stage-by-stage comparisons measured in one run, printed as ratios (not timed tests)."""
