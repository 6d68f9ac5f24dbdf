"""Evaluating AVA: metrics, calibration pictures, held-out reports."""
