"""Degree curves (data/rules/curves/<mode>.yaml): how a mode's failure hazard grows with its exposure.

Each file holds the transcribed figures it rests on and, under ``hazard``, the knots AVA uses:
a piecewise-linear relative hazard G(exposure), extended past the last knot with the last slope,
so more exposure is never safer and the risk is never capped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ava_model.errors import RulesError


@dataclass(frozen=True)
class DegreeCurve:
    """One mode's degree curve: knots of G(exposure), the ladder label cut and where the figures came from."""

    mode: str
    knots: tuple[tuple[float, float], ...]
    exercised_from: float
    zero_exposure_hazard: float
    published: bool
    basis: str
    sources: tuple[str, ...] = ()
    reference_exposure: float | None = None  # where the platform factor applies; None: the training positives' median
    negated_hazard: float = 0.02  # D of a prompt that negates the mode ("silent", "no text"): a small residual

    def relative_hazard(self, exposure: np.ndarray) -> np.ndarray:
        """Return G(exposure): 0 at 0, non-decreasing, linear past the last knot."""
        e = np.maximum(np.asarray(exposure, dtype=np.float64), 0.0)
        xs = np.array([k[0] for k in self.knots])
        ys = np.array([k[1] for k in self.knots])
        g = np.interp(e, xs, ys)
        slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        return np.where(e > xs[-1], ys[-1] + slope * (e - xs[-1]), g)


def _parse_curve(mode: str, data: object, path: Path) -> DegreeCurve:
    where = f"{path}"
    if not isinstance(data, dict) or not isinstance(data.get("hazard"), dict):
        raise RulesError(f"{where}: needs a 'hazard' mapping with knots, exercised_from, zero_exposure_hazard.")
    hazard = data["hazard"]
    knots = hazard.get("knots")
    ok = isinstance(knots, list) and len(knots) >= 2 and all(
        isinstance(k, list) and len(k) == 2 and all(isinstance(v, (int, float)) for v in k) for k in knots
    )
    if not ok:
        raise RulesError(f"{where}: hazard.knots must be a list of at least two [exposure, hazard] pairs, got {knots!r}.")
    xs, ys = [float(k[0]) for k in knots], [float(k[1]) for k in knots]
    if xs[0] != 0 or ys[0] != 0:
        raise RulesError(f"{where}: the first knot must be [0, 0] (no exposure, no added hazard), got {knots[0]!r}.")
    if any(b <= a for a, b in zip(xs, xs[1:])) or any(b < a for a, b in zip(ys, ys[1:])) or ys[-1] <= ys[-2]:
        raise RulesError(
            f"{where}: knots must have rising exposures and non-decreasing hazards, and the last segment must rise "
            f"(it is extended past the last knot), got {knots!r}."
        )
    if data.get("mode") != mode:
        raise RulesError(f"{where}: declares mode {data.get('mode')!r}; the file name says {mode!r}.")
    sources = tuple(f"{s.get('title', '')} ({s.get('reference', '')})" for s in data.get("sources") or [] if isinstance(s, dict))
    for key in ("exercised_from", "zero_exposure_hazard"):
        value = hazard.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise RulesError(f"{where}: hazard.{key} must be a number >= 0, got {value!r}.")
    reference = hazard.get("reference_exposure")
    if reference is not None and (isinstance(reference, bool) or not isinstance(reference, (int, float)) or reference <= 0):
        raise RulesError(f"{where}: hazard.reference_exposure must be a positive number or absent, got {reference!r}.")
    negated = hazard.get("negated_hazard", 0.02)
    if isinstance(negated, bool) or not isinstance(negated, (int, float)) or not 0 <= negated <= hazard["zero_exposure_hazard"]:
        raise RulesError(f"{where}: hazard.negated_hazard must be a number between 0 and zero_exposure_hazard "
                         f"({hazard['zero_exposure_hazard']}): a negated prompt is never riskier than an unmeasured one; "
                         f"got {negated!r}.")
    return DegreeCurve(mode, tuple(zip(xs, ys)), float(hazard["exercised_from"]), float(hazard["zero_exposure_hazard"]),
                       bool(data.get("published", False)), str(hazard.get("basis", "")), sources,
                       None if reference is None else float(reference), float(negated))


def load_curves(mode_ids: tuple[str, ...], directory: str | Path | None = None) -> dict[str, DegreeCurve]:
    """Return {mode id: DegreeCurve} from ``<rules dir>/curves``; every mode needs one file."""
    from ava_model.rules.taxonomy import read_rules_file, rules_dir

    root = Path(directory or rules_dir())
    return {mode: _parse_curve(mode, read_rules_file(f"curves/{mode}", root), root / "curves" / f"{mode}.yaml")
            for mode in mode_ids}
