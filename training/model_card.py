"""The model card: a markdown page per artifact, rendered from the training result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ava_model.rules.taxonomy import Rules

if TYPE_CHECKING:
    from ava_training.results import TrainResult

TEMPLATE = """# AVA model card

Trained {trained_at} · embedder `{embedder}` · rules `{rules_version}` · data digest `{digest}`

## What it predicts
For a prompt and a platform, per failure mode:

    risk = P(exercised | topic, exposure) x (1 - (1 - factor[platform, mode]) ** D(exposure))

- **Topic**: a calibrated classifier per mode over the sentence embedding and {n_structure} prompt-structure features
  ({structure}). The embedder reads the prompt without its negation phrases ("without speaking", "no text"), which an
  embedding cannot understand, and with every object count written as one number (`embedded_count` in
  `data/rules/exposure.yaml`): how many is the exposure's job. Per mode, group cross-validation on the training split chose between logistic regression
  and an RBF SVM; {calibration} calibration is fitted on out-of-fold scores of group folds. Chosen heads: {heads}.
- **Exposure**: how much of the mode's hard part the prompt asks for (seconds of on-screen speech, characters of text,
  objects counted, camera moves...), read by the rules in `data/rules/exposure.yaml`; negation sets it to zero.
- **P(exercised | topic, exposure)** = 1 - exp(-(w0 + wq * -log(1 - topic) + we * G(exposure) + wx * excess)), all
  weights >= 0, fitted by maximum likelihood on out-of-fold topic scores of the training split. G is the mode's degree
  curve; excess = max(0, G(exposure) / G(reference) - 1) is the exposure beyond a typical exercised prompt's, zero on
  almost every benchmark prompt, so a prompt asking for more of the hard part than usual counts as exercising the mode
  even where the embedding (trained on short benchmark prompts) reads it as less on-topic.
- **D(exposure)** = z + (1 - z) * G(exposure) / G(reference): 1 at the reference exposure, where the platform factor is
  the failure rate; z (the zero-exposure share) below; unbounded above, so a long monologue can score above the factor.

Why this form and not a monotone gradient-boosted tree: risk must never fall when exposure rises (all else fixed) and
must be able to pass the platform factor; here both hold by construction (non-negative weights, non-decreasing curves
extended linearly past the last knot), whereas `HistGradientBoostingClassifier(monotonic_cst=...)` needs per-video
failure outcomes to learn from, which no public benchmark provides, and its output would still be capped by the factor
it multiplies. Four weights per mode are few enough to fit on the labels we have and to read.

{exposure}

## Data
| source | prompts / rows | licence |
|---|---|---|
{sources}

Split: {n_train} training prompts, {n_test} held-out prompts; near-duplicates (cosine >= {near_dup}) share a group and a side.
The held-out split is decided by a hash of each group, so it stays held out across retraining.

## Held-out metrics (prompt exercises mode), per mode
Labels are the benchmark tags and authored labels of held-out prompts; weights as in the label rows
(a benchmark prompt's implicit negatives for modes its suite does not test count {implicit}). Baselines are trained on
the same split. `ava` is P(exercised | topic, exposure); `ava_topic` is the topic head alone. Held-out positives per mode are few for some modes (see `positives` in heldout_metrics.csv):
differences of 0.01-0.02 in ROC AUC between AVA and TF-IDF are within noise there.

{table}

Mean over modes:

{summary}

## Where each mode's numbers come from
{provenance}

## Platform factors
P(platform fails mode | exercised) starts from a prior by model generation (data/rules/platform_priors.yaml: authored
expert guesses, not measurements) and moves towards published rates (VideoPhy / VideoPhy-2: physics, interaction)
and towards real outcome labels as users report them. A platform without native audio has lip-sync factor 0.
Published rates measured older model versions; the current families inherit none of them unless the rate names them.

{factors}

## Known limits
- No public per-video outcome labels were available: the platform factor for every mode but physics (and weakly
  interaction) is a prior, so the *ranking* of prompts is learned from data but the *level* of risk on a given
  platform is an informed guess until user outcome labels arrive.
- Only the text_rendering curve's shape rests on a published degree figure (LongTextAR, two length bins) and the
  object_count curve's shape is checked against published counting figures (NumGen); lip_sync follows the reference
  page's observations; the other eight curves are linear, from authored ladders alone.
- Exposure is read by word rules (data/rules/exposure.yaml): phrasings they do not know count zero exposure, and the
  risk then rests on the topic score alone at the zero-exposure share.
- lip_sync and text_rendering rest only on authored prompts ({authored_n} prompts written by the AVA team),
  so their held-out metrics measure agreement with the labelling rules, not with real generations.
- T2V-CompBench states no licence; it is used here for research/evaluation, as its SOURCE.md says.
- English prompts only; the embedder is all-MiniLM-L6-v2 (256-token window).
"""


def _markdown_table(frame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def render_model_card(result: TrainResult, rules: Rules) -> str:
    """Return the markdown model card of a training result."""
    from ava_model.core.features import STRUCTURE_FEATURES

    m = result.manifest
    table = result.metrics.pivot(index="mode", columns="predictor", values=["roc_auc", "brier", "ece"])
    table.columns = [f"{metric} {pred}" for metric, pred in table.columns]
    table = table.reindex(list(result.model.modes)).reset_index()
    summary = result.summary().reset_index()
    sources_with_labels = result.data.rows.groupby("mode")["source"].apply(
        lambda s: ", ".join(sorted(set(s[result.data.rows.loc[s.index, "label"] >= 0.5])))
    )
    provenance = "\n".join(
        f"- `{mode}`: positives from {sources_with_labels.get(mode, 'none') or 'none'}" for mode in result.model.modes
    )
    factor_rows = [
        f"| {pid} | " + " | ".join(f"{result.model.factors[pid][mode].rate:.2f}" for mode in result.model.modes) + " |"
        for pid in rules.platform_ids
    ]
    factors = "\n".join(
        ["| platform | " + " | ".join(result.model.modes) + " |", "|---|" + "---|" * len(result.model.modes), *factor_rows]
    )
    sources = "\n".join(
        f"| {name} | {count} | {result.data.licences.get(name, '')} |" for name, count in result.data.source_counts.items()
    )
    from ava_model.rules.curves import load_curves

    curves = load_curves(result.model.modes)
    exposure_rows = []
    for mode in result.model.modes:
        head, curve = result.model.exposure_heads[mode], curves[mode]
        weights = " / ".join(f"{w:.3f}" for w in head.coef_)  # w0 / wq / we / wx
        exposure_rows.append(
            f"| {mode} | {'published figures' if curve.published else 'authored'}: {curve.basis} | "
            f"{' '.join(f'({x:g}, {y:g})' for x, y in curve.knots)} | {head.reference_exposure_:g} | "
            f"{curve.zero_exposure_hazard:g} | {weights} |"
        )
    exposure = "\n".join([
        "## Degree curves and exposure weights",
        "Which curves rest on published figures and which on authored labels only (files: data/rules/curves/):",
        "",
        "| mode | basis of the curve | knots (exposure, relative hazard) | reference exposure | z | w0 / wq / we / wx |",
        "|---|---|---|---|---|---|",
        *exposure_rows,
    ])
    return TEMPLATE.format(
        trained_at=m["trained_at"],
        embedder=m["embedder"],
        rules_version=m["rules_version"],
        digest=m["data_digest"][:16],
        n_structure=len(STRUCTURE_FEATURES),
        structure=", ".join(STRUCTURE_FEATURES),
        heads=", ".join(f"{mode} {h['family']} (C={h['C']})" for mode, h in m["heads"].items()),
        calibration=m["config"]["calibration"],
        sources=sources,
        n_train=m["n_train"],
        n_test=m["n_test"],
        near_dup=m["config"]["near_duplicate_threshold"],
        implicit=rules.benchmark_mappings.get("implicit_negative_weight"),
        table=_markdown_table(table),
        summary=_markdown_table(summary),
        provenance=provenance,
        factors=factors,
        authored_n=result.data.source_counts.get("authored", 0),
        exposure=exposure,
    )
