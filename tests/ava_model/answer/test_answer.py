"""The product answer: drivers measured by the model, verified rewrites, ranked platforms, escalation kit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ava_model.answer.rewrite import rewrite_candidates
from ava_model.answer.rewrite_ops import (
    apply_ops,
    cap_counts,
    cap_durations,
    drop_written,
    keep_first_spoken,
    shorten_spoken,
    shorten_written,
)
from ava_model.answer.spans import candidate_spans, remove_span

LONG_LINE = ("A man in a suit looks into the camera and says 'I have worked at this company for twenty years and I "
             "have never seen anything like what happened here today' before walking away")
BALLOONS = "Seven balloons float above a long wooden table in a sunny garden"
SIGN = "A shop window with a sign that reads 'CLOSING DOWN SALE EVERYTHING MUST GO' on a rainy street"


def _top_driver_texts(report, mode):
    return [d.text.lower() for d in report.drivers.get(mode, ())]


@pytest.mark.parametrize(
    ("prompt", "platform", "mode", "trigger"),
    [
        (LONG_LINE, "sora-2", "lip_sync", "'i have worked at this company"),
        (BALLOONS, "pika", "object_count", "seven balloons"),
        (SIGN, "kling", "text_rendering", "'closing down sale everything must go'"),
    ],
)
def test_obvious_trigger_is_a_top_driver(shipped_predictor, prompt, platform, mode, trigger):
    report = shipped_predictor.predict(prompt, platform)
    drivers = report.drivers[mode]
    assert any(d.text.lower().startswith(trigger) for d in drivers[:2]), drivers
    assert all(d.delta > 0 for d in drivers)
    top = drivers[0]
    # a driver's delta is the measured risk drop when its span is removed
    without = shipped_predictor.predict(remove_span(prompt, top), platform, explain=False)
    assert report.risks[mode] - without.risks[mode] == pytest.approx(top.delta, abs=2e-3)


def test_rewrite_is_verified_by_its_own_score(shipped_predictor, rules):
    report = shipped_predictor.predict(LONG_LINE, "sora-2")
    r = report.rewrite
    assert r is not None and r.mode == report.top_mode
    if r.helped:
        rescored = shipped_predictor.predict(r.prompt, "sora-2", explain=False)
        assert rescored.risks[r.mode] == pytest.approx(r.risk_after, abs=2e-3)
        assert r.risk_after < r.risk_before
        assert r.similarity >= shipped_predictor.playbook.similarity_threshold
        assert r.advice and r.strategies


def test_green_results_get_no_rewrite_or_escalation(shipped_predictor):
    report = shipped_predictor.predict("A calm mountain lake at sunrise, slow aerial shot", "veo-3")
    assert report.light == "green"
    assert report.rewrite is None and report.escalation is None and report.drivers == {}


def test_alternatives_rank_every_platform_and_flag_silent_ones(shipped_predictor, rules):
    report = shipped_predictor.predict(LONG_LINE, "sora-2")
    alts = report.alternatives
    assert {a.platform for a in alts} == set(rules.platform_ids)
    usable = [a for a in alts if not a.flagged]
    assert [a.max_risk for a in usable] == sorted(a.max_risk for a in usable)
    assert alts.index(usable[-1]) < min(i for i, a in enumerate(alts) if a.flagged)
    pika = next(a for a in alts if a.platform == "pika")
    assert pika.flagged and "audio" in pika.flag_reason
    veo = next(a for a in alts if a.platform == "veo-3")
    assert veo.reason.startswith("Veo 3: lip_sync") and "on Sora 2" in veo.reason


def test_escalation_kit_comes_from_data(shipped_predictor, rules):
    report = shipped_predictor.predict(LONG_LINE, "sora-2")
    kit = report.escalation
    assert kit.mode == report.top_mode == "lip_sync"
    assert kit.technical_term == rules.mode("lip_sync").technical_term
    assert kit.documentation_strength in ("HIGH", "MEDIUM", "LOW")
    assert kit.support_channel == rules.platform("sora-2").support_channel
    assert "<generation id>" in kit.ticket and report.prompt in kit.ticket
    assert "discretion" in kit.caveat.lower()
    assert any("waveform" in e.lower() for e in kit.evidence)
    json.loads(report.to_json())  # the whole answer stays JSON-serialisable


def test_rewrite_operations():
    two = 'Nurse one says: "You swapped my Friday again without asking me." Nurse two replies: "I asked you twice."'
    # A cut keeps whole clauses; a line with none short enough stays whole rather than losing half a phrase.
    assert shorten_spoken(two, 3) == two
    long = 'She says: "We open at nine, and we close when the last loaf is sold."'
    assert shorten_spoken(long, 7) == 'She says: "We open at nine, and we close."'
    assert shorten_spoken(long, 5) == 'She says: "We open at nine."'
    assert shorten_written("A neon sign reads 'OPEN ALL NIGHT' over the door", 2) == (
        "A neon sign reads 'OPEN ALL NIGHT' over the door")
    assert shorten_written("A poster reads 'BIG SALE, EVERYTHING MUST GO' in red", 2) == "A poster reads 'BIG SALE' in red"
    assert cap_durations("A coach gives a thirty-second pep talk, then talks for 20 seconds", 3) == (
        "A coach gives a three-second pep talk, then talks for 3 seconds")
    assert keep_first_spoken(two) == 'Nurse one says: "You swapped my Friday again without asking me."'
    assert cap_counts("Seven red balloons and 12 eggs near two cups", 3) == "Three red balloons and three eggs near two cups"
    assert drop_written("A sign that reads 'OPEN LATE' by the door", "") == "A sign by the door"
    assert apply_ops("a cat", [{"op": "append", "text": ", slow motion"}, {"op": "prepend", "text": "Wide shot: "}]) == (
        "Wide shot: a cat, slow motion"
    )


def test_candidates_are_distinct_and_bounded(shipped_predictor):
    strategies = shipped_predictor.playbook.strategies["lip_sync"]
    candidates = rewrite_candidates(LONG_LINE, strategies)
    texts = [t for t, _ in candidates]
    assert len(texts) == len(set(texts)) and LONG_LINE not in texts and 0 < len(texts) <= 8


def test_spans_cover_quotes_counts_and_clauses():
    texts = [BALLOONS[s.start : s.end] for s in candidate_spans(BALLOONS)]
    assert "Seven balloons" in texts
    texts = [SIGN[s.start : s.end] for s in candidate_spans(SIGN)]
    assert "'CLOSING DOWN SALE EVERYTHING MUST GO'" in texts and "on a rainy street" in texts


def test_sign_text_is_shortened_to_its_first_whole_phrase(shipped_predictor):
    prompt = "A storefront sign that reads 'GRAND OPENING SALE - 50% OFF ALL ITEMS TODAY ONLY' on a busy street"
    rewrite = shipped_predictor.predict(prompt, "kling").rewrite
    assert rewrite.helped and not rewrite.trade_off and rewrite.risk_after < rewrite.risk_before
    assert "'GRAND OPENING SALE'" in rewrite.prompt and "50% OFF" not in rewrite.prompt


def test_only_a_content_dropping_candidate_is_offered_as_a_trade_off(rules):
    from ava_model.answer.rewrite import choose_rewrite
    from ava_model.rules.playbook import Strategy

    prompt = "A neon sign reads 'OPEN ALL NIGHT' above a diner door"
    drop = Strategy("text_rendering", "text_in_post", "Add the text in post.", ())
    bold = Strategy("text_rendering", "bold", "Large bold letters.", ())
    candidates = [("A neon sign above a diner door, lettering added in post", (drop,)),
                  ("A neon sign reads 'OPEN ALL NIGHT' in bold letters above a diner door", (bold,))]
    modes = ("text_rendering",)
    kept_lowers = choose_rewrite("text_rendering", modes, np.array([0.6]), candidates, np.array([[0.2], [0.5]]),
                                 np.array([0.9, 0.95]), 0.7, rules, prompt)
    assert not kept_lowers.trade_off and kept_lowers.strategies == ("bold",)  # the meaning-kept one wins
    only_drop = choose_rewrite("text_rendering", modes, np.array([0.6]), candidates, np.array([[0.2], [0.6]]),
                               np.array([0.9, 0.95]), 0.7, rules, prompt)
    assert only_drop.trade_off and only_drop.strategies == ("text_in_post",)
    assert any("OPEN ALL NIGHT" in c and c.startswith("drops") for c in only_drop.changes)
    assert only_drop.message.startswith("Trade-off")


def test_shortening_the_stated_speech_is_shown_safer(shipped_predictor):
    report = shipped_predictor.predict("A man delivers a thirty-second speech to the camera, talking nonstop", "sora-2")
    assert report.light == "red" and report.rewrite.helped and not report.rewrite.trade_off
    assert "'thirty-second' -> 'three-second'" in report.rewrite.changes
    assert report.rewrite.risk_after < report.rewrite.risk_before - 0.3
    assert any("thirty-second" in d.text for d in report.drivers["lip_sync"])
    assert report.exposure["lip_sync"] >= 30


def test_rewrite_shortlist_keeps_the_largest_estimated_drop_and_the_smallest_edits():
    from ava_model.answer.rewrite import rewrite_shortlist

    prompt = "A chef says 'Welcome to the kitchen, tonight we cook six dishes for you' and waves"
    candidates = [(prompt.replace("six dishes for you", "dinner"), ()),  # small edit, no estimated drop
                  ("A chef waves", ()),  # large edit, largest estimated drop
                  (prompt.replace(" and waves", ""), ()),  # smallest edit, no estimated drop
                  ("A chef says 'Welcome' and waves", ())]  # medium edit, some drop
    estimate = np.array([[0.80], [0.10], [0.80], [0.50]])
    assert rewrite_shortlist(prompt, candidates, 0, 0.80, estimate, 2) == [1, 3]  # the drops first
    assert rewrite_shortlist(prompt, candidates, 0, 0.80, estimate, 3) == [1, 2, 3]  # then the smallest edit
    assert rewrite_shortlist(prompt, candidates, 0, 0.80, estimate, 10) == [0, 1, 2, 3]  # never more than there are


def test_driver_shortlist_takes_the_best_estimate_then_the_longest_span():
    from ava_model.answer.drivers import driver_shortlist
    from ava_model.answer.spans import Span

    spans = [Span(0, 5), Span(6, 40), Span(41, 50)]
    base = np.array([0.9, 0.1])
    estimate = np.array([[0.9, 0.1], [0.85, 0.1], [0.2, 0.1]])  # removing span 2 cuts mode 0 most
    assert driver_shortlist(spans, base, estimate, [0], 2) == [1, 2]
    assert driver_shortlist(spans, base, estimate, [0], 1) == [2]
    assert driver_shortlist([], base, np.zeros((0, 2)), [0], 3) == []
