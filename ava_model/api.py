"""The public verbs: load a model, predict one prompt, predict_proba a batch.

The path of a prompt: validation -> embedding -> features -> model (heads x platform
factors) -> RiskReport. The default model is loaded once, lazily, under a lock.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.core.embedding import Embedder
from ava_model.core.features import build_features, embed, model_inputs
from ava_model.core.model import AvaModel
from ava_model.rules.playbook import Playbook, load_playbook
from ava_model.answer.report import RiskReport
from ava_model.rules.taxonomy import FailureMode, Platform, Rules, load_rules
from ava_model.core.validation import check_platforms, check_prompt, check_prompts

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ava_model.reading.exposure import Exposure


@dataclass
class Predictor:
    """A loaded model with its embedder and rules; thread-safe for prediction."""

    model: AvaModel
    manifest: dict[str, Any]
    rules: Rules
    embedder: Embedder = field(repr=False)

    @property
    def version(self) -> str:
        """Return the model's identifier (its artifact sha256 prefix, or registry version)."""
        return str(self.manifest.get("model_version") or self.manifest.get("sha256", "unknown")[:12])

    def features(self, prompts: list[str]) -> np.ndarray:
        """Return the model inputs of already-checked prompts, embedded in one batch."""
        return model_inputs(self.embedder, prompts)

    def risk_matrix(self, prompts: list[str], platform_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (risks, exercise) arrays of shape (n, k) for checked prompts and platform ids."""
        return self.model.risk_and_exercise(self.features(prompts), self.model.factor_matrix(platform_ids))

    @property
    def playbook(self) -> Playbook:
        """Return the rewrite strategies and escalation rules (data/rules)."""
        return load_playbook()

    def predict(self, prompt: str, platform: str, *, explain: bool = True, user: str | None = None) -> RiskReport:
        """Return the RiskReport of one prompt on one platform.

        With ``explain`` (the default) the report also holds drivers, a verified rewrite,
        ranked alternatives and, for yellow and red results, the escalation kit. With
        ``AVA_SCORE_LOG`` set, the prediction is appended to that log (with ``user``).
        """
        text = check_prompt(prompt, self.rules.thresholds.max_prompt_chars)
        platform_id = self.rules.platform(platform).id
        embedding = embed(self.embedder, [text])
        factors = self.model.factor_matrix([platform_id])
        features = build_features(embedding, [text])
        risks, exercise = self.model.risk_and_exercise(features, factors)
        exercise, factors = exercise[0], factors[0]
        report = self._report(text, platform_id, risks[0], exercise, features[0, -len(self.model.modes):])
        if explain:
            report = self._explain(report, embedding[0], features, exercise, factors)
        from ava_model.labels import score_log

        score_log.append(report, user)
        return report

    def _explain(self, report: RiskReport, embedding: np.ndarray, features: np.ndarray, exercise: np.ndarray,
                 factors: np.ndarray) -> RiskReport:
        import numpy as np

        from ava_model.answer import explain as ex
        from ava_model.answer.spans import candidate_spans, remove_span

        modes, thresholds, playbook = self.model.modes, self.rules.thresholds, self.playbook
        risks = np.array([report.risks[m] for m in modes])
        flagged = report.light != "green"
        # Drivers explain modes at yellow or above: a green prompt needs no masking.
        spans = candidate_spans(report.prompt) if flagged else []
        masked = [remove_span(report.prompt, s) for s in spans]
        candidates = ex.rewrite_candidates(report.prompt, playbook.strategies[report.top_mode]) if flagged else []
        high = [j for j, r in enumerate(risks) if r >= thresholds.yellow]
        texts = masked + [text for text, _ in candidates]
        # First every text with the prompt's own embedding (its exposure and structure are its own), then
        # the shortlist embedded and re-scored in full: the embedder is most of predict()'s time.
        estimate = self._risks_of(np.tile(embedding, (len(texts), 1)), texts, factors)
        drivers_exact = ex.driver_shortlist(spans, risks, estimate[: len(masked)], high, playbook.rescored_driver_spans)
        top = modes.index(report.top_mode)
        rewrites_exact = ex.rewrite_shortlist(report.prompt, candidates, top, float(risks[top]),
                                              estimate[len(masked) :], playbook.rescored_rewrites)
        chosen = drivers_exact + [len(masked) + i for i in rewrites_exact]
        batch_risks, similarity = estimate.copy(), np.zeros(len(candidates))
        if chosen:
            vectors = embed(self.embedder, [texts[i] for i in chosen])
            batch_risks[chosen] = self._risks_of(vectors, [texts[i] for i in chosen], factors)
            similarity[[i - len(masked) for i in chosen[len(drivers_exact) :]]] = vectors[len(drivers_exact) :] @ embedding
        rescored = [candidates[i] for i in rewrites_exact]
        return replace(
            report,
            drivers=ex.drivers_from(report.prompt, spans, risks, batch_risks[: len(masked)], modes, high),
            rewrite=ex.choose_rewrite(report.top_mode, modes, risks, rescored,
                                      batch_risks[len(masked) :][rewrites_exact], similarity[rewrites_exact],
                                      playbook.similarity_threshold, self.rules, report.prompt,
                                      candidates_considered=len(candidates))
            if flagged else None,
            alternatives=ex.alternatives_for(self.model, self.rules, features, exercise, report.platform),
            escalation=ex.escalation_kit(report.prompt, report.platform, report.top_mode, self.rules, playbook)
            if flagged else None,
        )

    def _risks_of(self, vectors: np.ndarray, texts: list[str], factors: np.ndarray) -> np.ndarray:
        """Return the (n, k) risks of texts with the given embeddings on one platform (a (k,) factor row)."""
        import numpy as np

        if not texts:
            return np.zeros((0, len(self.model.modes)))
        return self.model.risk_and_exercise(build_features(vectors, texts), np.tile(factors, (len(texts), 1)))[0]

    def predict_proba(self, prompts: Any, platforms: Any) -> pd.DataFrame:
        """Return a DataFrame: one row per prompt, one column per mode id, risks in [0, 1]."""
        import pandas as pd

        texts = check_prompts(prompts, self.rules.thresholds.max_prompt_chars)
        platform_ids = check_platforms(platforms, len(texts), self.rules)
        risks, _ = self.risk_matrix(texts, platform_ids)
        return pd.DataFrame(risks, columns=list(self.model.modes))

    def _report(self, prompt: str, platform_id: str, risks: Any, exercise: Any, exposure: Any = ()) -> RiskReport:
        risk_map = {m: round(float(r), 4) for m, r in zip(self.model.modes, risks)}
        top = max(risk_map, key=risk_map.__getitem__)
        return RiskReport(
            prompt=prompt,
            platform=platform_id,
            risks=risk_map,
            light=self.rules.thresholds.light(risk_map[top]),
            top_mode=top,
            exercise={m: round(float(e), 4) for m, e in zip(self.model.modes, exercise)},
            model_version=self.version,
            exposure={m: round(float(e), 4) for m, e in zip(self.model.modes, exposure)},
        )


_default: Predictor | None = None
_default_lock = threading.Lock()


def load(uri: str | os.PathLike[str] | None = None, expected_sha256: str | None = None) -> Predictor:
    """Return a Predictor for an artifact folder, an ``ava.joblib`` path or an MLflow ``models:/`` URI.

    With no argument: ``AVA_MODEL_URI`` if set, else the model shipped in the package.
    ``expected_sha256`` pins the artifact file's checksum from outside the artifact; a registry model is
    also checked against the checksum its training run recorded. Loading refuses any pickle that names
    a global outside AVA's allow-list (:class:`~ava_model.errors.UnsafeArtifact`).
    """
    from ava_model.persistence.artifact import load_artifact
    from ava_model.errors import ArtifactMismatch

    uri = uri if uri is not None else os.environ.get("AVA_MODEL_URI")
    if uri is not None and str(uri).startswith(("models:/", "runs:/")):
        from ava_model.persistence.registry import download_model

        from ava_model.persistence.artifact import normalise_sha256

        downloaded = download_model(str(uri))
        directory: Path | None = downloaded.directory
        pinned = downloaded.expected_sha256
        if pinned and expected_sha256 and normalise_sha256(pinned) != normalise_sha256(expected_sha256):
            raise ArtifactMismatch(f"{uri!r}: the registry run pins sha256 {pinned}, the caller "
                                   f"pins {expected_sha256}; refusing to load.")
        if not pinned and not expected_sha256 and os.environ.get("AVA_ALLOW_UNPINNED_REGISTRY") != "1":
            raise ArtifactMismatch(
                f"{uri!r}: its training run has no 'ava.artifact_sha256' tag, so nothing outside the artifact pins "
                "its checksum. Retrain and register it (`make train`), pass expected_sha256=..., or set "
                "AVA_ALLOW_UNPINNED_REGISTRY=1 to load it on the allow-list check alone."
            )
        expected_sha256 = expected_sha256 or pinned
    else:
        directory = Path(uri) if uri is not None else None
    model, manifest = load_artifact(directory, expected_sha256=expected_sha256)
    from ava_model.core.features import STRUCTURE_FEATURES

    trained_on = manifest.get("structure_features")
    if trained_on is not None and list(trained_on) != list(STRUCTURE_FEATURES):
        raise ArtifactMismatch(
            f"The model was trained on structure features {trained_on}; this library computes "
            f"{list(STRUCTURE_FEATURES)}. Retrain with `make train`."
        )
    rules = load_rules()
    missing = [m for m in model.modes if m not in rules.mode_ids]
    if missing:
        raise ArtifactMismatch(
            f"The model predicts modes {', '.join(missing)} that the rules no longer define. Retrain with `make train`."
        )
    return Predictor(model=model, manifest=manifest, rules=rules, embedder=Embedder(model.embedder))


def default_predictor() -> Predictor:
    """Return the process-wide default Predictor, loading it on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = load()
    return _default


def predict(prompt: str, platform: str, *, user: str | None = None) -> RiskReport:
    """Return the calibrated failure risks of one prompt on one platform, with the product answer.

    Raises InvalidPrompt for an empty, non-string or over-long prompt and
    UnknownPlatform (listing the valid ids) for an unknown platform.
    """
    return default_predictor().predict(prompt, platform, user=user)


def predict_proba(prompts: Any, platforms: Any) -> pd.DataFrame:
    """Return one row per prompt and one column per mode id of failure probabilities.

    ``platforms`` is one platform for all prompts or one per prompt. Prompts are embedded in one batch.
    """
    return default_predictor().predict_proba(prompts, platforms)


def measure(prompt: str) -> dict[str, Exposure]:
    """Return, per mode, how much of its hard part the prompt asks for, with the spans that carry it.

    No model is needed: the rules in data/rules/exposure.yaml are applied to the prompt.
    Raises InvalidPrompt for an empty, non-string or over-long prompt.
    """
    from ava_model.reading.exposure import measure as measure_exposure

    rules = load_rules()
    return measure_exposure(check_prompt(prompt, rules.thresholds.max_prompt_chars))


def failure_modes() -> list[FailureMode]:
    """Return the failure modes of the taxonomy."""
    return list(load_rules().modes)


def platforms() -> list[Platform]:
    """Return the known platforms."""
    return list(load_rules().platforms)
