"""Simulated traffic for the drift notebook when there is no score log: weeks of prompts that drift on cue.

The unchanged weeks draw prompts held out of the reference (same population, different
prompts); then a growing share comes from a new segment: talking-head ads (a person
speaking a sales line into the camera) and non-English dialogue, mostly sent to veo-3.
Outcome labels can be simulated too: drawn from the model's own risk (plus a small
base rate of failures), except on the new segment, where the model's lip_sync risk says nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd

NON_ENGLISH_PROMPTS = (
    "Una abuela en su cocina mira a cámara y dice: «Esta receta es de mi madre, y de su madre antes.» Luz cálida.",
    "Deux amis sur un banc à Paris discutent: « Tu viens ce soir ? » « Non, je travaille tard. » Plan moyen.",
    "Ein Bäcker hält ein Brot in die Kamera und sagt: „Seit fünfzig Jahren backen wir hier jeden Morgen.“",
    "Um vendedor na feira grita para a câmera: “Olha a laranja fresquinha, três por cinco reais!” Câmera na mão.",
    "Una giornalista davanti al Colosseo parla in diretta: «Siamo qui per l'inaugurazione della mostra.»",
    "東京の駅のホームで、少女がカメラに向かって「電車が遅れているので、少し待ってね」と話す。",
    "Двое коллег в лифте спорят: «Ты опять забыл отчёт!» — «Я отправил его вчера вечером.» Средний план.",
    "Een visser op de kade kijkt in de lens en zegt: 'De zee geeft, en de zee neemt.' Mistig ochtendlicht.",
    "Una influencer sostiene un sérum frente a la cámara y dice: «Lo uso cada mañana y mi piel cambió.»",
    "Une vendeuse présente un téléphone face caméra : « Il tient deux jours sans recharge, essayez-le ! »",
    "Ein Koch rührt in einem Topf und erklärt: „Das Geheimnis ist frischer Thymian und viel Geduld.“",
    "Um professor olha para a lente e diz: “Hoje vamos aprender frações com uma pizza de verdade.”",
)
"""Dialogue in other languages: the new segment's second half (the model was built on English prompts)."""

_SPEAKERS = ("A young woman in a hoodie", "A smiling dentist in a white coat", "A fitness coach in a gym",
             "A grandmother at her kitchen table", "A barista behind the counter", "A teenage gamer at his desk",
             "A real-estate agent outside a house", "A mechanic wiping his hands", "A nurse in scrubs",
             "A chef in a busy kitchen")
_SETTINGS = ("holding the phone at arm's length", "sitting in a parked car", "in a bright living room",
             "on a busy street", "in front of a ring light", "on a balcony at sunset", "in a cluttered garage",
             "at a market stall")
_LINES = ("I tried every moisturiser out there and this is the only one that worked for me",
          "Three reasons you need this blender in your kitchen, and the third one surprised me",
          "Stop scrolling! This app paid my rent last month and here is exactly how",
          "I was skeptical too, but after two weeks my back pain was simply gone",
          "Use my code SAVE20 at checkout and thank me later, it ends on Sunday",
          "Honestly, this vacuum picks up things I did not even know were on my floor",
          "If you have a dog, you need to hear this before you buy another leash",
          "My dentist told me to switch toothpaste and I am never going back",
          "This is the budget tablet I wish I had bought for my kids years ago",
          "Here is the one trick that cut my electricity bill in half this winter")
_SHOTS = ("Vertical 9:16 UGC ad, handheld, 15 seconds.", "Tight close-up on the face, natural light, 10 seconds.",
          "Medium shot, talking straight to the camera the whole time.",
          "Selfie-style video with jump cuts, 20 seconds.")

EXAMPLE_PROMPTS = Path(__file__).parent / "data" / "product_prompts.csv"
"""The packaged example prompts (prompt, platform, intended_mode): product-style prompts across the modes."""

BASELINE_PLATFORMS = {"sora-2": 0.35, "kling": 0.2, "runway-gen-4": 0.15, "pika": 0.15, "veo-3": 0.15}
SEGMENT_PLATFORMS = {"veo-3": 0.7, "sora-2": 0.3}
DEFAULT_SHIFT = (0.0, 0.0, 0.0, 0.25, 0.45, 0.65)
"""Share of the new segment in each simulated week."""


def talking_head_ads(n: int = 200, seed: int = 0) -> list[str]:
    """Return ``n`` distinct talking-head ad prompts (speaker, setting, spoken line, shot): the new segment's bulk."""
    import itertools

    combos = list(itertools.product(_SPEAKERS, _SETTINGS, _LINES, _SHOTS))
    if not 1 <= n <= len(combos):
        raise DriftInputError(f"n must be between 1 and {len(combos)}, got {n}.")
    picked = np.random.default_rng(seed).choice(len(combos), size=n, replace=False)
    return [f'{who} {where} looks into the lens and says: "{line}." {shot}'
            for who, where, line, shot in (combos[i] for i in picked)]


def example_prompts() -> list[str]:
    """Return the packaged example prompts (``EXAMPLE_PROMPTS``)."""
    import pandas as pd

    return list(pd.read_csv(EXAMPLE_PROMPTS, dtype=str, keep_default_na=False)["prompt"])


def _platforms(weights: dict[str, float], n: int, rng: np.random.Generator) -> list[str]:
    names, p = list(weights), np.array(list(weights.values()))
    return list(rng.choice(names, size=n, p=p / p.sum()))


def simulate_traffic(prompts: list[str], segment: list[str], *, shift: tuple[float, ...] = DEFAULT_SHIFT,
                     per_week: int = 120, holdout: float = 0.3, start: str = "2026-10-05",
                     seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (reference, traffic): a reference window and weeks of traffic shaped like a score log.

    Parameters
    ----------
    prompts:
        The reference population; ``holdout`` of it (distinct prompts) feeds the unchanged part
        of the traffic, the rest is the reference window.
    segment:
        Prompts of the new segment (e.g. ``talking_head_ads()`` and ``NON_ENGLISH_PROMPTS``).
    shift:
        Share of the new segment in each week; its length is the number of weeks.
    per_week:
        Prompts per week, spread uniformly over the week's seven days.
    holdout:
        Share of ``prompts`` held out of the reference for the traffic.
    start:
        Monday of the first week (UTC).
    seed:
        Randomness of the split, the draws, the platforms and the timestamps.

    Returns
    -------
    tuple of pandas.DataFrame
        The reference (prompt, platform) and the traffic (timestamp, prompt, platform, segment).
    """
    import pandas as pd

    unique = list(dict.fromkeys(prompts))
    if len(unique) < 10 or not segment or not 0 < holdout < 1 or per_week < 2 or not shift:
        raise DriftInputError(f"simulate_traffic needs >= 10 distinct prompts, a non-empty segment, holdout in "
                              f"(0, 1), per_week >= 2 and >= 1 week; got {len(unique)} prompts, {len(segment)} "
                              f"segment prompts, holdout={holdout}, per_week={per_week}, {len(shift)} weeks.")
    bad = [s for s in shift if not 0 <= s <= 1]
    if bad:
        raise DriftInputError(f"shift holds one share in [0, 1] per week; got {bad}.")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique))
    cut = int(round(holdout * len(unique)))
    held, kept = [unique[i] for i in order[:cut]], [unique[i] for i in order[cut:]]
    reference = pd.DataFrame({"prompt": kept, "platform": _platforms(BASELINE_PLATFORMS, len(kept), rng)})
    monday = pd.Timestamp(start, tz="UTC")
    weeks = []
    for week, share in enumerate(shift):
        n_new = int(round(share * per_week))
        new = list(rng.choice(segment, size=n_new, replace=n_new > len(segment)))  # distinct when there are enough
        old = list(rng.choice(held, size=per_week - n_new, replace=per_week - n_new > len(held)))
        seconds = np.sort(rng.uniform(0, 7 * 86400, per_week))
        weeks.append(pd.DataFrame({
            "timestamp": monday + pd.Timedelta(weeks=week) + pd.to_timedelta(seconds, unit="s"),
            "prompt": old + new,
            "platform": _platforms(BASELINE_PLATFORMS, len(old), rng) + _platforms(SEGMENT_PLATFORMS, n_new, rng),
            "segment": ["unchanged"] * len(old) + ["new"] * n_new,
        }).sample(frac=1.0, random_state=seed + week))
    traffic = pd.concat(weeks).sort_values("timestamp", kind="stable").reset_index(drop=True)
    return reference, traffic


def simulate_outcomes(traffic: pd.DataFrame, risks: pd.DataFrame, *, modes: tuple[str, ...] = (
        "lip_sync", "physics", "anatomy"), label_share: float = 0.8, base_rate: float = 0.03,
        seed: int = 0) -> pd.DataFrame:
    """Return simulated outcome labels (timestamp, mode, label, risk) for labelled rows of the traffic.

    Each row gets a label for each mode with probability ``label_share``. A video fails with
    probability ``base_rate + (1 - base_rate) x risk``: the model's risk, plus failures no prompt
    announces; except lip_sync on rows of the new segment (``segment == "new"``), where it is a
    fair coin: the model's risk carries no signal there.

    Parameters
    ----------
    traffic:
        The traffic of :func:`simulate_traffic` (timestamp, segment).
    risks:
        The risks of the traffic's rows, one column per mode, in the traffic's order.
    modes:
        The modes that receive labels.
    label_share:
        Chance that a row's outcome is reported for a mode.
    base_rate:
        Chance of a failure whatever the prompt.
    seed:
        Randomness of the draws.

    Returns
    -------
    pandas.DataFrame
        One row per label, the input of :func:`ava_evaluation.performance_drift.performance_by_window`.
    """
    import pandas as pd

    missing = [m for m in modes if m not in risks.columns]
    if missing or len(risks) != len(traffic) or not 0 < label_share <= 1 or not 0 <= base_rate < 1:
        raise DriftInputError(f"simulate_outcomes needs one risk row per traffic row, modes among "
                              f"{list(risks.columns)}, label_share in (0, 1] and base_rate in [0, 1); got {len(risks)} "
                              f"vs {len(traffic)} rows, unknown modes {missing}, label_share={label_share}, "
                              f"base_rate={base_rate}.")
    rng = np.random.default_rng(seed)
    new = (traffic["segment"] == "new").to_numpy() if "segment" in traffic.columns else np.zeros(len(traffic), bool)
    frames = []
    for mode in modes:
        risk = risks[mode].to_numpy(float)
        chance = base_rate + (1 - base_rate) * risk
        chance = np.where(new, 0.5, chance) if mode == "lip_sync" else chance
        labelled = rng.random(len(risk)) < label_share
        label = (rng.random(len(risk)) < chance).astype(int)
        frames.append(pd.DataFrame({"timestamp": traffic["timestamp"][labelled].reset_index(drop=True), "mode": mode,
                                    "label": label[labelled], "risk": risk[labelled]}))
    return pd.concat(frames, ignore_index=True)
