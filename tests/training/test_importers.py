"""Importers turn each source into the label schema; malformed files fail with clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ava_model.errors import DataSourceError, LabelValidationError
from ava_model.labels.schema import LABEL_COLUMNS, validate_labels
from ava_training.importers import (
    import_authored,
    import_outcomes,
    import_published_rates,
    import_t2v_compbench,
    import_vbench,
    import_vbench2,
)


def _labels_of(frame: pd.DataFrame, prompt: str) -> dict[str, tuple[float, float]]:
    rows = frame[frame["prompt"] == prompt]
    return {r.mode: (r.label, r.weight) for r in rows.itertuples()}


def test_vbench2_tags_become_mode_labels(tmp_path, rules):
    folder = tmp_path / "vbench2"
    folder.mkdir()
    data = {
        "A man juggles three knives.": {"caption": "A man juggles three knives.", "dimension": ["Human_Anatomy", "Diversity"]},
        "Ice melts on a stove.": {"caption": "Ice melts on a stove.", "dimension": ["Thermotics"]},
    }
    (folder / "VBench2_full_text_info.json").write_text(json.dumps(data))
    imported = import_vbench2(tmp_path, rules)
    assert imported.n_prompts == 2
    assert list(imported.labels.columns) == list(LABEL_COLUMNS)
    man = _labels_of(imported.labels, "A man juggles three knives.")
    assert man["anatomy"] == (1.0, 1.0)
    assert man["physics"] == (0.0, 1.0)  # vbench2 covers physics: a real negative
    assert man["lip_sync"] == (0.0, rules.benchmark_mappings["implicit_negative_weight"])
    assert _labels_of(imported.labels, "Ice melts on a stove.")["physics"][0] == 1.0


def test_vbench2_malformed_files(tmp_path, rules):
    with pytest.raises(DataSourceError, match="AVA_DATA_DIR"):
        import_vbench2(tmp_path, rules)
    (tmp_path / "vbench2").mkdir()
    (tmp_path / "vbench2" / "VBench2_full_text_info.json").write_text("{not json")
    with pytest.raises(DataSourceError, match="not valid JSON"):
        import_vbench2(tmp_path, rules)
    (tmp_path / "vbench2" / "VBench2_full_text_info.json").write_text(json.dumps({"p": {"dimension": ["Teleportation"]}}))
    with pytest.raises(DataSourceError, match="Teleportation"):
        import_vbench2(tmp_path, rules)


def test_vbench_and_compbench_merge_tags_of_repeated_prompts(tmp_path, rules):
    dims = tmp_path / "vbench" / "prompts_per_dimension"
    dims.mkdir(parents=True)
    (dims / "multiple_objects.txt").write_text("a cat and a dog\na bird and a cat\n")
    (dims / "subject_consistency.txt").write_text("a cat and a dog\n")
    frame = import_vbench(tmp_path, rules).labels
    cat_dog = _labels_of(frame, "a cat and a dog")
    assert cat_dog["composition"][0] == 1.0 and cat_dog["identity_drift"][0] == 1.0
    assert _labels_of(frame, "a bird and a cat")["identity_drift"] == (0.0, 1.0)

    cats = tmp_path / "t2v_compbench" / "prompts"
    cats.mkdir(parents=True)
    (cats / "7_numeracy.txt").write_text("seven balloons float upward\n\n")
    labels = _labels_of(import_t2v_compbench(tmp_path, rules).labels, "seven balloons float upward")
    assert labels["object_count"][0] == 1.0 and labels["composition"] == (0.0, 1.0)


def test_published_rates_become_platform_evidence(tmp_path, rules):
    folder = tmp_path / "published_rates"
    folder.mkdir()
    (folder / "rates.csv").write_text(
        "benchmark,evaluation,model,metric,value_percent\n"
        "videophy,human,Pika,PC1,36.5\n"
        "videophy,human,Pika,SA1,41.1\n"
    )
    rates = import_published_rates(tmp_path, rules)
    physics = [e for e in rates.evidence if e.mode == "physics"]
    assert len(physics) == 1 and physics[0].platform == "pika"
    assert physics[0].rate == pytest.approx(0.635)
    (folder / "rates.csv").write_text("benchmark,evaluation,model,metric,value_percent\nvideophy,human,Nonexistent Model,PC1,40\n")
    with pytest.raises(DataSourceError, match="Nonexistent Model"):
        import_published_rates(tmp_path, rules)
    (folder / "rates.csv").write_text("benchmark,evaluation,model,metric,value_percent\nvideophy,human,Pika,PC1,140\n")
    with pytest.raises(DataSourceError, match="outside 0..100"):
        import_published_rates(tmp_path, rules)


def test_authored_files_and_other_modes(tmp_path, rules):
    (tmp_path / "lip_sync.csv").write_text(
        "prompt,label,rule,other_modes\n"
        "\"A pianist sings 'the whole long chorus again, louder' at the keys\",1,LS1,anatomy\n"
        "A silent monk walks,0,LS-N1,\n"
    )
    frame, counts = import_authored(tmp_path, rules)
    assert counts == {"lip_sync": 2}
    pianist = _labels_of(frame, "A pianist sings 'the whole long chorus again, louder' at the keys")
    assert pianist["lip_sync"] == (1.0, 1.0) and pianist["anatomy"] == (1.0, 1.0)
    assert pianist["physics"] == (0.0, rules.benchmark_mappings["authored_negative_weight"])
    (tmp_path / "lip_sync.csv").write_text("prompt,label,rule,other_modes\nA,maybe,LS1,\n")
    with pytest.raises(DataSourceError, match="line 2.*maybe"):
        import_authored(tmp_path, rules)
    (tmp_path / "lip_sync.csv").write_text("prompt,label,rule,other_modes\nA,1,LS1,telepathy\n")
    with pytest.raises(DataSourceError, match="telepathy"):
        import_authored(tmp_path, rules)


def test_outcome_labels_from_csv_and_jsonl(tmp_path, rules):
    csv = tmp_path / "videos.csv"
    csv.write_text("prompt,model,result\nA woman says hello,Sora 2,fail\nA dog runs,Kling 1.6,pass\n")
    frame = import_outcomes(csv, mode="lip_sync", source="team", rules=rules)
    assert frame["platform"].tolist() == ["sora-2", "kling"]
    assert frame["label"].tolist() == [1.0, 0.0]
    jsonl = tmp_path / "videos.jsonl"
    jsonl.write_text(json.dumps({"prompt": "x", "platform": "pika", "mode": "physics", "failed": "yes",
                                 "labelled_at": "2026-11-01", "at_second": 4.0}) + "\n")
    assert import_outcomes(jsonl, rules=rules)["at_second"].tolist() == [4.0]
    csv.write_text("prompt,model,result\nA woman says hello,Sora 2,kinda\n")
    with pytest.raises(DataSourceError, match="rows \\[1\\]"):
        import_outcomes(csv, mode="lip_sync", rules=rules)


def test_label_validation_names_rows_and_fields(rules):
    frame = pd.DataFrame(
        {
            "prompt": ["ok prompt", "  ", "fine"],
            "platform": ["sora-2", "any", "soraa"],
            "mode": ["lip_sync", "physics", "telepathy"],
            "label": [1, 2, 0],
            "source": ["user", "user", "user"],
            "weight": [1, 1, -1],
            "labelled_at": ["2026-11-01", "not a date", "2026-11-02"],
        }
    )
    with pytest.raises(LabelValidationError) as err:
        validate_labels(frame, rules)
    message = str(err.value)
    for expected in ("row 2, field 'prompt'", "row 2, field 'label'", "row 2, field 'labelled_at'",
                     "row 3, field 'platform'", "row 3, field 'mode'", "row 3, field 'weight'"):
        assert expected in message
    assert "row 1" not in message


@pytest.mark.shared
def test_shared_benchmarks_import_with_documented_counts(shared_dir, rules):
    v2 = import_vbench2(shared_dir, rules)
    assert v2.n_prompts == 1013
    positives = v2.labels[v2.labels["label"] == 1].groupby("mode")["prompt"].nunique()
    assert positives["anatomy"] == 120 and positives["camera_motion"] == 108
    comp = import_t2v_compbench(shared_dir, rules)
    assert comp.labels[comp.labels["label"] == 1].groupby("mode")["prompt"].nunique()["object_count"] == 100
    assert import_vbench(shared_dir, rules).n_prompts > 900
    rates = import_published_rates(shared_dir, rules)
    assert len(rates.table) == 54 and any(e.platform == "hunyuanvideo" for e in rates.evidence)


def _ladder_file(folder, rows):
    folder.mkdir(exist_ok=True)
    lines = ["ladder,split,step,exposure,negated,prompt"] + [",".join(map(str, r)) for r in rows]
    (folder / "object_count.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_ladders_import_their_train_split_labelled_from_the_curve(tmp_path, rules):
    from ava_training.importers import import_ladders, read_ladders

    folder = _ladder_file(tmp_path / "ladders", [
        ("oc-01", "train", 0, 2, 0, "two apples on a table"), ("oc-01", "train", 1, 5, 0, "five apples on a table"),
        ("oc-01", "train", 2, 12, 0, "twelve apples on a table"), ("oc-01", "train", "n", 0, 1, "some apples on a table"),
        ("oc-02", "eval", 0, 2, 0, "two cups"), ("oc-02", "eval", 1, 4, 0, "four cups"), ("oc-02", "eval", 2, 9, 0, "nine cups"),
    ])
    table = read_ladders(folder, rules)
    assert len(table) == 7 and set(table["split"]) == {"train", "eval"}
    rows = import_ladders(folder, {"object_count": 4}, rules)
    assert list(rows["prompt"]) == ["two apples on a table", "five apples on a table", "twelve apples on a table",
                                    "some apples on a table"]  # the eval ladder is never a training row
    assert list(rows["label"]) == [0.0, 1.0, 1.0, 0.0] and set(rows["mode"]) == {"object_count"}


def test_a_ladder_whose_exposure_does_not_rise_is_refused(tmp_path, rules):
    from ava_model.errors import DataSourceError
    from ava_training.importers import read_ladders

    folder = _ladder_file(tmp_path / "bad", [
        ("oc-01", "train", 0, 5, 0, "five apples"), ("oc-01", "train", 1, 3, 0, "three apples"),
        ("oc-01", "train", 2, 9, 0, "nine apples"),
    ])
    with pytest.raises(DataSourceError, match=r"oc-01 .*rising exposure.*\[5.0, 3.0, 9.0\]"):
        read_ladders(folder, rules)
    folder = _ladder_file(tmp_path / "bad2", [("oc-01", "test", 0, 5, 0, "five apples")])
    with pytest.raises(DataSourceError, match=r"object_count.csv line 2: split must be one of train, eval, fresh, got 'test'"):
        read_ladders(folder, rules)
