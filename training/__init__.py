"""Training AVA: import labelled data, build targets, fit calibrated heads, track runs."""
