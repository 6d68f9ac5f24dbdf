"""The feedback loop: user labels in, retrain, champion/challenger gate, registry alias, rollback."""

from __future__ import annotations

import itertools

import pytest

from ava_model.labels.store import LabelStore
from ava_training.config import TrainConfig
from ava_training.paths import authored_dir, cache_dir
from ava_model.errors import TrainingError

SHOPS = ["bakery", "pharmacy", "bookshop", "barber", "cafe", "florist", "garage", "tailor", "deli", "cinema"]
TEXTS = ["FRESH BREAD DAILY", "OPEN LATE TONIGHT", "HALF PRICE SALE", "NO PARKING HERE", "WELCOME BACK FRIENDS",
         "CLOSED ON SUNDAYS", "BEST COFFEE IN TOWN", "EVERYTHING MUST GO", "HAND MADE GOODS", "GRAND REOPENING"]
PLACES = ["on a rainy street", "at dusk"]


def _sign_labels(n: int = 200) -> list[dict]:
    rows = []
    for i, (shop, text, place) in enumerate(itertools.islice(itertools.product(SHOPS, TEXTS, PLACES), n)):
        rows.append({"prompt": f"A {shop} sign that reads '{text}' {place}", "platform": "kling",
                     "mode": "text_rendering", "label": 0.0 if i % 10 == 0 else 1.0, "source": "user",
                     "weight": 1.0, "labelled_at": "2026-11-20", "generation_id": f"kling-{i}", "at_second": 1.0})
    return rows


@pytest.mark.shared
def test_user_labels_move_the_champion(tmp_path, shared_dir, shipped_predictor, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    from ava_training.retrain import retrain
    from ava_training.tracking import load_gate, rollback

    store = LabelStore(tmp_path / "labels.db")
    assert store.add(_sign_labels()).inserted == 200
    observed = 0.9
    before = shipped_predictor.model.factors["kling"]["text_rendering"].rate
    config = TrainConfig(data_dir=shared_dir, authored_dir=authored_dir(), label_store=tmp_path / "labels.db",
                         out_dir=tmp_path / "artifact", cache_dir=cache_dir() / "embeddings")
    result, decision = retrain(config, champion=shipped_predictor)
    print(decision.summary())
    print(decision.table.round(4).to_string())
    after = result.model.factors["kling"]["text_rendering"].rate
    assert abs(after - observed) < abs(before - observed) / 2  # moved more than halfway to what users saw
    assert result.model.factors["pika"]["text_rendering"].rate == pytest.approx(
        shipped_predictor.model.factors["pika"]["text_rendering"].rate)  # other platforms untouched
    prompt = "A hardware store sign that reads 'KEYS CUT WHILE YOU WAIT' in the rain"
    old_risk = shipped_predictor.predict(prompt, "kling", explain=False).risks["text_rendering"]
    from ava_model.api import load

    new_risk = load(result.artifact_dir).predict(prompt, "kling", explain=False).risks["text_rendering"]
    assert old_risk < new_risk <= observed + 0.05
    tolerance = load_gate()["challenger"]
    table = decision.table.set_index("mode")
    assert (table["roc_auc_champion"] - table["roc_auc_challenger"] <= tolerance["max_auc_drop"]).all()
    assert decision.promote and result.promoted
    client = MlflowClient()
    assert str(client.get_model_version_by_alias("ava", "champion").version) == result.model_version
    run = mlflow.get_run(result.run_id)
    assert run.data.tags["label_store.rows"] == "200"
    assert {"label_snapshot.csv", "gate_decision.csv"} <= {a.path for a in client.list_artifacts(result.run_id)}
    with pytest.raises(TrainingError, match="no previous champion"):
        rollback()
    from ava_training.tracking import promote

    assert promote(result.model_version) == f"ava version {result.model_version} is now champion."
