"""Taxonomy, platforms and thresholds are data; loading validates them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ava_model.errors import RulesError, UnknownMode, UnknownPlatform
from ava_model.rules.taxonomy import load_rules, rules_dir

REQUIRED_MODES = (
    "lip_sync", "anatomy", "physics", "object_count", "text_rendering",
    "identity_drift", "camera_motion", "composition", "vanishing_subject",
)
REQUIRED_PLATFORMS = (
    "sora-2", "veo-3", "runway-gen-4", "kling", "pika", "luma", "hailuo", "wan", "hunyuanvideo", "cogvideox",
)


def test_taxonomy_has_required_modes_with_every_field(rules):
    assert set(REQUIRED_MODES) <= set(rules.mode_ids)
    lip = rules.mode("lip_sync")
    assert lip.name == "Audio-Visual Lip Sync & Phoneme Alignment Failure"
    assert lip.needs_audio and not rules.mode("anatomy").needs_audio
    for mode in rules.modes:
        assert mode.technical_term and mode.symptoms and mode.risk_factors and mode.prevention


def test_platforms_resolve_ids_and_aliases(rules):
    assert set(REQUIRED_PLATFORMS) <= set(rules.platform_ids)
    assert rules.platform("Sora 2").id == "sora-2"
    assert rules.platform("Kling 1.6").id == "kling"
    assert rules.platform("Gen-2 (Runway)").id == "runway-gen-2"
    assert rules.platform("OpenAI Sora").id == "sora"
    assert rules.platform("  VEO-3 ").id == "veo-3"


def test_unknown_platform_lists_valid_ids_and_a_close_match(rules):
    with pytest.raises(UnknownPlatform) as err:
        rules.platform("klling")
    message = str(err.value)
    assert "'klling'" in message and "Did you mean 'kling'" in message
    assert all(pid in message for pid in REQUIRED_PLATFORMS)


def test_unknown_mode_names_valid_modes(rules):
    with pytest.raises(UnknownMode, match="lip_sync"):
        rules.mode("lipsync")


def test_thresholds_give_lights(rules):
    t = rules.thresholds
    assert t.light(0.0) == "green"
    assert t.light(t.yellow) == "yellow"
    assert t.light(t.red) == "red"


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_missing_field_is_named(tmp_path):
    folder = _copy_rules(tmp_path)
    _edit(folder / "failure_modes.yaml", lambda d: d["modes"][1].pop("technical_term"))
    with pytest.raises(RulesError, match="anatomy.*technical_term"):
        load_rules(folder)


def test_shared_alias_is_refused(tmp_path):
    folder = _copy_rules(tmp_path)
    _edit(folder / "platforms.yaml", lambda d: d["platforms"][1]["aliases"].append("Sora 2"))
    with pytest.raises(RulesError, match="alias"):
        load_rules(folder)


def test_bad_generation_and_prior_are_refused(tmp_path):
    folder = _copy_rules(tmp_path)
    _edit(folder / "platforms.yaml", lambda d: d["platforms"][0].update(generation="futuristic"))
    with pytest.raises(RulesError, match="futuristic"):
        load_rules(folder)
    folder = _copy_rules(tmp_path / "b")
    _edit(folder / "platform_priors.yaml", lambda d: d["by_generation"]["current"].update(physics=1.7))
    with pytest.raises(RulesError, match="physics"):
        load_rules(folder)


def test_thresholds_must_be_ordered(tmp_path):
    folder = _copy_rules(tmp_path)
    _edit(folder / "thresholds.yaml", lambda d: d.update(yellow=0.8, red=0.4))
    with pytest.raises(RulesError, match="yellow"):
        load_rules(folder)


def test_default_platform_and_tie_tolerance_are_rules(tmp_path, rules):
    assert rules.thresholds.default_platform in rules.platform_ids and 0 <= rules.thresholds.tie_tolerance < 0.1
    folder = _copy_rules(tmp_path)
    _edit(folder / "thresholds.yaml", lambda d: d.update(default_platform="dall-e"))
    with pytest.raises(RulesError, match="default_platform 'dall-e' is not a platform id"):
        load_rules(folder)
    folder = _copy_rules(tmp_path / "b")
    _edit(folder / "thresholds.yaml", lambda d: d.update(tie_tolerance=0.9))
    with pytest.raises(RulesError, match="tie_tolerance"):
        load_rules(folder)


def test_quality_gate_is_read_through_the_rules_loader(tmp_path):
    from ava_training.tracking import load_gate

    assert load_gate()["min_mean_roc_auc"] > 0.5
    folder = _copy_rules(tmp_path)
    _edit(folder / "quality_gate.yaml", lambda d: d.pop("max_mean_ece"))
    with pytest.raises(RulesError, match="field 'max_mean_ece' must be a number"):
        load_gate(folder / "quality_gate.yaml")
    (folder / "quality_gate.yaml").write_text("[1, 2")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_gate(folder / "quality_gate.yaml")


@pytest.mark.parametrize("field, value, message", [
    ("rescored_rewrites", 0, "rescored_rewrites must be a whole number >= 1"),
    ("rescored_rewrites", 2.5, "rescored_rewrites' must be int"),
    ("max_drivers", True, "max_drivers must be a whole number >= 1"),
    ("min_gain", 1.5, r"min_gain must be in \[0, 1\)"),
    ("max_exposure_spans", 50, "max_exposure_spans .* exceeds max_spans"),
    ("spare_knob", 3, "unknown fields spare_knob"),
])
def test_explain_limits_are_validated_rules(tmp_path, field, value, message):
    from ava_model.rules.playbook import load_playbook

    folder = _copy_rules(tmp_path)
    _edit(folder / "rewrite_strategies.yaml", lambda d: d["explain"].update({field: value}))
    with pytest.raises(RulesError, match=message):
        load_playbook(folder)


def test_every_rewrite_operation_the_rules_allow_is_implemented():
    from ava_model.answer.rewrite_ops import OPERATIONS
    from ava_model.rules.playbook import OPERATION_NAMES

    assert sorted(OPERATIONS) == sorted(OPERATION_NAMES)


def test_keyword_baseline_rules_name_every_mode_and_compile(tmp_path):
    from ava_evaluation.baselines import keyword_rules

    assert set(keyword_rules()) == set(load_rules().mode_ids)
    folder = _copy_rules(tmp_path)
    _edit(folder / "baseline_keywords.yaml", lambda d: d["keywords"].pop("physics"))
    with pytest.raises(RulesError, match=r"missing \['physics'\]"):
        keyword_rules(folder)
    folder = _copy_rules(tmp_path / "again")
    _edit(folder / "baseline_keywords.yaml", lambda d: d["keywords"].update(physics="(unclosed"))
    with pytest.raises(RulesError, match="keywords.physics: not a valid regex"):
        keyword_rules(folder)


def test_generations_are_rules_and_a_platform_must_name_one(tmp_path, rules):
    assert list(rules.generations) == ["current", "previous", "legacy"]
    assert rules.generations["legacy"] == "Legacy research"
    folder = _copy_rules(tmp_path)
    _edit(folder / "platforms.yaml", lambda d: d["generations"].pop("legacy"))
    with pytest.raises(RulesError, match="generation 'legacy' is not one of current, previous"):
        load_rules(folder)
