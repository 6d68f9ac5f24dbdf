"""The product answer of one scored prompt: drivers, a verified rewrite, ranked platforms, escalation kit.

:func:`explain_report` takes a report the scorer made (risks only) and adds what the product shows
around it. Everything is measured with the model: every masked span and rewrite candidate is first
estimated with the prompt's own embedding and its own exposure, then a shortlist
(``explain`` limits in rewrite_strategies.yaml) is embedded in one batch and re-scored in full.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ava_model.answer.alternatives import alternatives_for
from ava_model.answer.drivers import driver_shortlist, drivers_from
from ava_model.answer.escalation import escalation_kit
from ava_model.answer.report import RiskReport
from ava_model.answer.rewrite import choose_rewrite, rewrite_candidates, rewrite_shortlist
from ava_model.answer.spans import candidate_spans, remove_span

if TYPE_CHECKING:
    from ava_model.core.scorer import Scored, Scorer
    from ava_model.rules.playbook import Playbook


def report_of(scorer: Scorer, scored: Scored) -> RiskReport:
    """Return the RiskReport of a scored prompt: risks, light and top mode, no answer yet."""
    modes = scorer.model.modes
    risk_map = {m: round(float(r), 4) for m, r in zip(modes, scored.risks)}
    top = max(risk_map, key=risk_map.__getitem__)
    return RiskReport(
        prompt=scored.prompt,
        platform=scored.platform,
        risks=risk_map,
        light=scorer.rules.thresholds.light(risk_map[top]),
        top_mode=top,
        exercise={m: round(float(e), 4) for m, e in zip(modes, scored.exercise)},
        model_version=scorer.version,
        exposure={m: round(float(e), 4) for m, e in zip(modes, scored.exposure)},
    )


def explain_report(scorer: Scorer, scored: Scored, playbook: Playbook) -> RiskReport:
    """Return the report of a scored prompt with drivers, rewrite, alternatives and (yellow or red) the escalation kit.

    Parameters
    ----------
    scorer:
        What scored the prompt; it scores the masked spans and rewrite candidates the same way.
    scored:
        The prompt's risks and the arrays they were computed from (:meth:`Scorer.score`).
    playbook:
        Rewrite strategies, escalation rules and the explain limits.

    Returns
    -------
    RiskReport
        The prompt's report (:func:`report_of`) with the answer filled in; a green prompt gets alternatives only.
    """
    report, limits = report_of(scorer, scored), playbook.limits
    modes, rules = scorer.model.modes, scorer.rules
    risks = np.array([report.risks[m] for m in modes])
    flagged = report.light != "green"
    # Drivers explain modes at yellow or above: a green prompt needs no masking.
    spans = candidate_spans(report.prompt, limits.max_spans, limits.max_exposure_spans) if flagged else []
    masked = [remove_span(report.prompt, s) for s in spans]
    candidates = rewrite_candidates(report.prompt, playbook.strategies[report.top_mode], limits.max_candidates) \
        if flagged else []
    high = [j for j, r in enumerate(risks) if r >= rules.thresholds.yellow]
    texts = masked + [text for text, _ in candidates]
    # First every text with the prompt's own embedding (its exposure and structure are its own), then
    # the shortlist embedded and re-scored in full: the embedder is most of predict()'s time.
    estimate = scorer.risks_of(np.tile(scored.embedding, (len(texts), 1)), texts, scored.factors)
    drivers_exact = driver_shortlist(spans, risks, estimate[: len(masked)], high, limits.rescored_driver_spans)
    top = modes.index(report.top_mode)
    rewrites_exact = rewrite_shortlist(report.prompt, candidates, top, float(risks[top]), estimate[len(masked) :],
                                       limits.rescored_rewrites, limits.min_gain)
    chosen = drivers_exact + [len(masked) + i for i in rewrites_exact]
    batch_risks, similarity = estimate.copy(), np.zeros(len(candidates))
    if chosen:
        vectors = scorer.embed([texts[i] for i in chosen])
        batch_risks[chosen] = scorer.risks_of(vectors, [texts[i] for i in chosen], scored.factors)
        similarity[[i - len(masked) for i in chosen[len(drivers_exact) :]]] = \
            vectors[len(drivers_exact) :] @ scored.embedding
    return replace(
        report,
        drivers=drivers_from(report.prompt, spans, risks, batch_risks[: len(masked)], modes, high, limits),
        rewrite=choose_rewrite(report.top_mode, modes, risks, [candidates[i] for i in rewrites_exact],
                               batch_risks[len(masked) :][rewrites_exact], similarity[rewrites_exact],
                               playbook.similarity_threshold, rules, report.prompt,
                               candidates_considered=len(candidates), min_gain=limits.min_gain)
        if flagged else None,
        alternatives=alternatives_for(scorer.model, rules, scored.features, scored.exercise, report.platform),
        escalation=escalation_kit(report.prompt, report.platform, report.top_mode, rules, playbook)
        if flagged else None,
    )
