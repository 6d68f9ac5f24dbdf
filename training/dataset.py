"""Turn label rows into what the heads train on: one row per prompt, one column per mode."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ava_model.rules.taxonomy import ANY_PLATFORM


@dataclass(frozen=True)
class LabelMatrix:
    """Prompt-level labels: Y[i, j] = 1 if prompt i exercises mode j, with weights W.

    Attributes
    ----------
    prompts:
        Distinct prompts.
    modes:
        Mode ids, column order of Y and W.
    labels, weights:
        (n, k) float arrays; a weight of 0 means "no label for this prompt and mode".
    sources:
        Source of each prompt (the first one that labelled it).
    """

    prompts: tuple[str, ...]
    modes: tuple[str, ...]
    labels: np.ndarray
    weights: np.ndarray
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, index: np.ndarray) -> LabelMatrix:
        """Return the rows at index."""
        return LabelMatrix(
            tuple(self.prompts[i] for i in index),
            self.modes,
            self.labels[index],
            self.weights[index],
            tuple(self.sources[i] for i in index),
        )


def build_label_matrix(rows: pd.DataFrame, modes: tuple[str, ...]) -> LabelMatrix:
    """Return the LabelMatrix of the prompt-level rows (platform 'any') and positive outcomes.

    A prompt labelled by several sources keeps the positive label if any source gives one
    (a benchmark tag or a rule saying it exercises the mode), with that label's largest weight.
    A failed outcome on a platform (label >= 0.5) shows the prompt exercises the mode. A passed
    outcome says nothing about it: its prompt enters with weight 0, so it still gets a group
    and a side of the split, but no head trains on it.
    """
    prompt_level = rows[rows["platform"] == ANY_PLATFORM]
    outcomes = rows[rows["platform"] != ANY_PLATFORM]
    failed = outcomes[outcomes["label"] >= 0.5].assign(label=1.0)
    passed = outcomes[outcomes["label"] < 0.5].assign(label=0.0, weight=0.0)
    usable = pd.concat([prompt_level, failed, passed], ignore_index=True)
    usable = usable[usable["mode"].isin(modes)]
    prompts = tuple(dict.fromkeys(usable["prompt"]))
    index = {p: i for i, p in enumerate(prompts)}
    column = {m: j for j, m in enumerate(modes)}
    labels = np.zeros((len(prompts), len(modes)))
    weights = np.zeros((len(prompts), len(modes)))
    first_source: dict[str, str] = {}
    for prompt, mode, label, weight, source in usable[["prompt", "mode", "label", "weight", "source"]].itertuples(
        index=False
    ):
        i, j = index[prompt], column[mode]
        first_source.setdefault(prompt, source)
        if label > labels[i, j] or weights[i, j] == 0:
            labels[i, j], weights[i, j] = label, weight
        elif label == labels[i, j]:
            weights[i, j] = max(weights[i, j], weight)
    return LabelMatrix(prompts, modes, labels, weights, tuple(first_source[p] for p in prompts))


def data_digest(rows: pd.DataFrame) -> str:
    """Return a sha256 over the label rows, independent of row order."""
    columns = ["prompt", "platform", "mode", "label", "source", "weight"]
    lines = sorted(
        "\x1f".join(str(v) for v in rec) for rec in rows[columns].itertuples(index=False, name=None)
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
