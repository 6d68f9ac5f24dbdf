"""The product promises, measured: rewrites of red results, reference pages for every mode and platform."""

from __future__ import annotations

import shutil

import pytest
import yaml

from ava_model.errors import RulesError, UnknownMode, UnknownPlatform
from ava_model.rules.playbook import load_playbook
from ava_model.answer.reference import mode_reference
from ava_model.rules.taxonomy import rules_dir
from ava_evaluation.rewrite_eval import read_prompts, rewrite_figures


def test_prompt_set_covers_every_mode(rules):
    rows = read_prompts()
    assert len(rows) >= 30
    assert {r["intended_mode"] for r in rows} == set(rules.mode_ids)


def test_rewrites_lower_red_risks(shipped_predictor):
    figures = rewrite_figures(shipped_predictor, read_prompts())
    print(f"{figures.n_red} red; lowered {figures.n_lowered}; median drop {figures.median_drop:.3f}; "
          f"min similarity {figures.min_similarity}")
    assert figures.n_red >= 8
    assert figures.share_lowered >= 0.8
    assert figures.median_drop >= 0.15
    assert figures.min_similarity >= shipped_predictor.playbook.similarity_threshold


def test_every_mode_and_platform_has_a_reference_page(shipped_predictor, rules):
    for mode in rules.mode_ids:
        for platform in rules.platform_ids:
            page = mode_reference(shipped_predictor, mode, platform)
            assert page.technical_term == rules.mode(mode).technical_term
            assert len(page.across_platforms) == len(rules.platform_ids)
            assert page.this_platform.risk_if_exercised == pytest.approx(
                shipped_predictor.model.factors[platform][mode].rate, abs=1e-4)
            assert all(t.risk_if_exercised < page.this_platform.risk_if_exercised and t.suitable for t in page.safer_tools)
            assert page.escalation.documentation_strength in ("HIGH", "MEDIUM", "LOW")
            assert page.rewrite_strategies and page.related_modes
    text = mode_reference(shipped_predictor, "lip_sync", "Sora 2").render()
    assert "Pick a different tool" in text and "Sora 2" in text


def test_reference_pages_flag_silent_platforms_for_lip_sync(shipped_predictor):
    page = mode_reference(shipped_predictor, "lip_sync", "sora-2")
    pika = next(p for p in page.across_platforms if p.platform == "pika")
    assert not pika.suitable and "audio" in pika.note
    assert all(t.platform != "pika" for t in page.safer_tools)
    with pytest.raises(UnknownMode):
        mode_reference(shipped_predictor, "lipsync", "sora-2")
    with pytest.raises(UnknownPlatform):
        mode_reference(shipped_predictor, "lip_sync", "sora-9")


def _copy_rules(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    return target


def test_playbook_validation(tmp_path):
    folder = _copy_rules(tmp_path)
    data = yaml.safe_load((folder / "rewrite_strategies.yaml").read_text())
    data["strategies"]["lip_sync"][0]["ops"] = [{"op": "teleport"}]
    (folder / "rewrite_strategies.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RulesError, match="teleport.*shorten_spoken"):
        load_playbook(folder)
    folder = _copy_rules(tmp_path / "b")
    data = yaml.safe_load((folder / "escalation.yaml").read_text())
    data["modes"]["physics"]["ticket_template"] = "Hello {customer_name}"
    (folder / "escalation.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RulesError, match="customer_name"):
        load_playbook(folder)
    folder = _copy_rules(tmp_path / "c")
    data = yaml.safe_load((folder / "escalation.yaml").read_text())
    data["modes"]["physics"]["documentation_strength"] = "VERY HIGH"
    (folder / "escalation.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RulesError, match="VERY HIGH"):
        load_playbook(folder)
