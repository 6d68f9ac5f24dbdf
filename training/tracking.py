"""Log a training run to MLflow, register the model and give it the champion alias if it passes the gate.

Tracking is an edge concern: the trainer returns plain results and this module logs them.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.persistence.registry import tracking_uri
from ava_model.errors import TrainingError

if TYPE_CHECKING:
    from ava_training.config import TrainConfig
    from ava_training.results import TrainResult

_log = logging.getLogger(__name__)

EXPERIMENT = "ava"


_GATE_FIELDS = ("min_mean_roc_auc", "max_mean_ece", "max_mode_brier_over_base_rate")


def load_gate(path: Path | None = None) -> dict[str, Any]:
    """Return the quality-gate rules (``quality_gate.yaml`` in the rules folder, through the rules loader)."""
    from ava_model.errors import RulesError
    from ava_model.rules.taxonomy import read_rules_file

    gate = read_rules_file("quality_gate") if path is None else read_rules_file(Path(path).stem, Path(path).parent)
    for key in _GATE_FIELDS:
        if isinstance(gate.get(key), bool) or not isinstance(gate.get(key), (int, float)):
            raise RulesError(f"quality_gate.yaml: field {key!r} must be a number, got {gate.get(key)!r}.")
    return gate


def gate_verdict(result: TrainResult, gate: dict[str, Any]) -> tuple[bool, list[str]]:
    """Return (passed, reasons) of a training result against the quality gate."""
    summary = result.summary()
    reasons = []
    auc = float(summary.loc["ava", "roc_auc"])
    ece = float(summary.loc["ava", "ece"])
    if auc < gate["min_mean_roc_auc"]:
        reasons.append(f"mean ROC AUC {auc:.3f} < {gate['min_mean_roc_auc']}")
    if ece > gate["max_mean_ece"]:
        reasons.append(f"mean ECE {ece:.3f} > {gate['max_mean_ece']}")
    brier = result.metrics.pivot(index="mode", columns="predictor", values="brier")
    worse = brier[brier["ava"] > brier["base_rate"] + gate["max_mode_brier_over_base_rate"]]
    reasons += [f"{mode}: Brier {row.ava:.3f} worse than base rate {row.base_rate:.3f}" for mode, row in worse.iterrows()]
    return not reasons, reasons


# MLflow 3's UI opens an experiment without this tag on its GenAI (traces) view; AVA logs classic ML runs.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"


def _experiment_id(mlflow) -> str:
    """Return the id of the "ava" experiment, created if missing, and marked as classic ML for the MLflow UI."""
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        if experiment.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:  # an experiment made before the tag
            mlflow.MlflowClient().set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
        return experiment.experiment_id
    uri = tracking_uri()
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database file, not in the working directory
        location = (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()
    return mlflow.create_experiment(EXPERIMENT, artifact_location=location, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND})


def set_champion(client, model_name: str, version: str) -> None:
    """Point the champion alias at version, remembering the previous champion for rollback."""
    try:
        previous = client.get_model_version_by_alias(model_name, "champion").version
    except Exception:  # no champion yet
        previous = None
    if previous is not None and str(previous) != str(version):
        client.set_registered_model_tag(model_name, "previous_champion", str(previous))
    client.set_registered_model_alias(model_name, "champion", str(version))


def promote(version: str, model_name: str = "ava") -> str:
    """Give a registered version the champion alias by hand; return a one-line account."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient()
    client.get_model_version(model_name, str(version))  # raises with MLflow's message if it does not exist
    set_champion(client, model_name, str(version))
    return f"{model_name} version {version} is now champion."


def rollback(model_name: str = "ava") -> str:
    """Move the champion alias back to the previous champion; return a one-line account."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient()
    previous = client.get_registered_model(model_name).tags.get("previous_champion")
    if previous is None:
        raise TrainingError(f"{model_name} has no previous champion to roll back to.")
    return promote(previous, model_name)


def log_training_run(result: TrainResult, config: TrainConfig, decision=None) -> None:
    """Log params, sources, digest, metrics, plots, card and model; register and gate it. Fills run_id/version.

    With a champion/challenger ``decision`` the alias moves only if both the absolute gate and it pass.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    from ava_model.persistence.pyfunc import AvaPyfunc, input_example, model_signature
    from ava_training.plots import reliability_diagram

    mlflow.set_tracking_uri(tracking_uri())
    passed, reasons = gate_verdict(result, load_gate())
    if decision is not None and not decision.promote:
        passed, reasons = False, reasons + list(decision.reasons)
    with mlflow.start_run(experiment_id=_experiment_id(mlflow)) as run:
        mlflow.log_params(config.to_params())
        mlflow.log_params({f"rows.{k}": v for k, v in result.data.source_counts.items()})
        mlflow.set_tags({"data_digest": result.manifest["data_digest"], "rules_version": result.manifest["rules_version"],
                         "gate": "passed" if passed else "failed: " + "; ".join(reasons)[:4000]})
        mlflow.log_metrics({k.replace("@", "_"): v for k, v in result.manifest["metrics"].items() if v == v})
        summary = result.summary()
        mlflow.log_metrics({f"mean.{p}.{m}": float(summary.loc[p, m]) for p in summary.index for m in summary.columns})
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            curves = {
                mode: (result.heldout.labels[mode], result.heldout.predictions[mode]["ava"], result.heldout.weights[mode])
                for mode in result.model.modes
            }
            reliability_diagram(curves, tmp / "reliability.png")
            (tmp / "MODEL_CARD.md").write_text(result.card, encoding="utf-8")
            (tmp / "heldout_metrics.csv").write_text(result.metrics.to_csv(index=False), encoding="utf-8")
            if decision is not None:
                (tmp / "gate_decision.csv").write_text(decision.table.to_csv(index=False), encoding="utf-8")
                (tmp / "gate_decision.txt").write_text(decision.summary(), encoding="utf-8")
                mlflow.log_metrics({"gate.champion_mean_brier": decision.champion_mean_brier,
                                    "gate.challenger_mean_brier": decision.challenger_mean_brier})
            if result.data.label_store is not None:
                from ava_model.labels.store import LabelStore

                snapshot = LabelStore(result.data.label_store["path"], readonly=True).rows(include_superseded=True)
                (tmp / "label_snapshot.csv").write_text(snapshot.to_csv(index=False), encoding="utf-8")
                mlflow.set_tags({"label_store.rows": result.data.label_store["rows"],
                                 "label_store.digest": result.data.label_store["digest"]})
            mlflow.log_artifacts(str(tmp))
            artifact_dir = result.artifact_dir
            if artifact_dir is None:
                from ava_model.persistence.artifact import save_artifact

                artifact_dir = save_artifact(result.model, tmp / "ava", result.manifest, result.card)
            from ava_model.persistence.artifact import read_manifest
            from ava_model.persistence.registry import SHA_TAG

            # Pinned where the artifact cannot write: a downloaded model is checked against this tag.
            mlflow.set_tag(SHA_TAG, read_manifest(artifact_dir)["sha256"])
            model_info = mlflow.pyfunc.log_model(
                name="model",
                python_model=AvaPyfunc(),
                artifacts={"ava": str(artifact_dir)},
                signature=model_signature(result.model.modes),
                input_example=input_example(),
                pip_requirements=[f"ava-model=={result.manifest.get('libraries', {}).get('ava-model', '0.1.0')}"],
            )
        result.run_id = run.info.run_id
    if config.register:
        version = mlflow.register_model(model_info.model_uri, config.model_name)
        result.model_version = str(version.version)
        client = MlflowClient()
        if passed:
            set_champion(client, config.model_name, version.version)
            result.promoted = True
        _log.info(
            f"Registered {config.model_name} version {version.version}: "
            + ("passed the quality gate, alias 'champion' set." if passed else "gate failed: " + "; ".join(reasons))
        )
