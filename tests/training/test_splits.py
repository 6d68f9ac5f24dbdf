"""Group-aware splits keep a prompt and its near-duplicates on one side."""

from __future__ import annotations

import numpy as np

from ava_training.splits import group_folds, group_keys, holdout_mask, near_duplicate_groups


def test_exact_and_near_duplicates_share_a_group(embedder):
    prompts = [
        "A red car drives down a rainy street at night.",
        "a red car drives down a rainy street at night",  # exact after folding
        "A red car drives along a rainy street at night.",  # near duplicate
        "A chef plates a dessert in a busy kitchen.",
    ]
    emb = embedder.encode(prompts)
    groups = near_duplicate_groups(prompts, emb, threshold=0.9)
    assert groups[0] == groups[1] == groups[2]
    assert groups[3] != groups[0]


def test_holdout_is_stable_and_by_group():
    keys = [f"group {i // 3}" for i in range(3000)]
    mask = holdout_mask(keys, 0.2)
    assert 0.15 < mask.mean() < 0.25
    for g in range(0, 3000, 3):
        assert len(set(mask[g : g + 3])) == 1  # a group never straddles the split
    assert np.array_equal(mask, holdout_mask(keys, 0.2))
    assert np.array_equal(mask[:300], holdout_mask(keys[:300], 0.2))  # adding data keeps old assignments


def test_group_keys_and_folds():
    prompts = ["B prompt", "a prompt", "c prompt"]
    groups = np.array([0, 0, 2])
    assert group_keys(prompts, groups) == ["a prompt", "a prompt", "c prompt"]
    groups = np.repeat(np.arange(50), 4)
    for train, valid in group_folds(groups, 5):
        assert not set(groups[train]) & set(groups[valid])
