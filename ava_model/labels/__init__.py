"""Labelled outcomes and logs: the label schema, the append-only label store, the score log, history, batch files."""
