"""Prompt-structure features count what they say they count."""

from __future__ import annotations

import numpy as np
import pytest

from ava_model.core.exposure import load_exposure_rules
from ava_model.core.features import STRUCTURE_FEATURES, build_features, exposure_matrix, quoted_spans, structure_features, structure_matrix
from ava_model.errors import ConfigError


def _feature(prompt: str, name: str) -> float:
    return float(structure_features(prompt)[STRUCTURE_FEATURES.index(name)])


def test_quoted_speech_is_counted_and_apostrophes_are_not():
    prompt = "A chef says 'we close at nine tonight, so order now' while the dog's tail wags"
    assert _feature(prompt, "spoken_words") == 8
    assert _feature(prompt, "written_words") == 0
    sign = "A shop sign that says 'FRESH BREAD DAILY' and a baker who shouts: 'Come in!'"
    assert _feature(sign, "written_words") == 3
    assert _feature(sign, "spoken_words") == 2
    narrated = "Aerial shot of a forest as a narrator says 'Long before the roads, these hills belonged to wolves.'"
    assert _feature(narrated, "offscreen_words") == 9 and _feature(narrated, "spoken_words") == 0
    assert _feature(prompt, "quoted_segments") == 1
    assert _feature("The dog's owner isn't home", "quoted_segments") == 0
    assert len(quoted_spans('He shouts "Run!" and she answers "Where?"')) == 2


def test_counts_and_durations():
    assert _feature("Seven red balloons and 3 cats", "max_count") == 7
    assert _feature("an 8-second clip of a beach", "requested_seconds") == 8
    assert _feature("an 8-second clip of a beach", "max_count") == 0  # a duration is not a count
    assert _feature("A sign reads 'OPEN 24 HOURS'", "max_count") == 0  # nor a number on a sign
    assert _feature("shot in 1080p in 2024", "max_count") == 0


def test_feature_matrix_shape_and_scaling():
    prompts = ["a cat", "two dogs say 'hello there friend'", "a man stands silently, mouth closed"]
    emb = np.ones((3, 4), dtype=np.float32)
    X = build_features(emb, prompts)
    modes = tuple(load_exposure_rules().modes)
    n_modes = len(modes)
    assert X.shape == (3, 4 + len(STRUCTURE_FEATURES) + 2 * n_modes)
    np.testing.assert_allclose(X[:, -2 * n_modes : -n_modes], exposure_matrix(prompts, modes))
    negated = X[:, -n_modes:]
    assert negated[2, modes.index("lip_sync")] == 1 and negated[:2].sum() == 0  # only the silent man negates a mode
    np.testing.assert_allclose(structure_matrix(prompts), np.log1p([structure_features(p) for p in prompts]))
    with pytest.raises(ConfigError, match="3 embeddings for 1 prompts"):
        build_features(emb, ["a cat"])


def test_embedded_inputs_read_each_embedding_text_once_and_match_the_two_step_path(embedder):
    from ava_model.core.features import build_features, embed, embedded_inputs

    prompts = ["Exactly 37 apples on a table, nobody speaks", "A chef says 'Hi' to the camera in a close-up"]
    embeddings, features = embedded_inputs(embedder, prompts)
    np.testing.assert_array_equal(embeddings, embed(embedder, prompts))
    np.testing.assert_array_equal(features, build_features(embeddings, prompts))


READ = ["A chef says 'taste this soup, it is the best in town' to the camera.",
        "Twelve red balloons drift over a silent fountain, no text anywhere.",
        "A glass falls off a table and shatters."]


def test_prompt_readings_are_the_columns_build_features_makes_with_or_without_a_cache(tmp_path):
    from ava_model.core.features import embedding_text, prompt_readings, reading_columns, readings_fingerprint

    texts, columns = prompt_readings(READ)
    assert texts == [embedding_text(p) for p in READ]
    np.testing.assert_array_equal(columns, reading_columns(READ))
    fake = np.zeros((len(READ), 4), dtype=np.float32)
    np.testing.assert_array_equal(build_features(fake, READ)[:, 4:], columns)
    cached_texts, cached = prompt_readings(READ + READ[:1], tmp_path)  # a repeated prompt is read once
    assert cached_texts == texts + texts[:1]
    np.testing.assert_array_equal(cached, np.vstack([columns, columns[:1]]))
    folder = tmp_path / f"readings-{readings_fingerprint()}"
    assert len(list(folder.glob("*.npz"))) == 1
    again_texts, again = prompt_readings(READ[::-1], tmp_path)  # read back from disk: no new shard
    assert again_texts == texts[::-1] and len(list(folder.glob("*.npz"))) == 1
    np.testing.assert_array_equal(again, columns[::-1])
    prompt_readings(["Mountains at dawn."], tmp_path)  # only the new prompt is written
    assert len(list(folder.glob("*.npz"))) == 2


def test_an_unreadable_readings_shard_is_skipped_and_its_prompts_read_again(tmp_path):
    from ava_model.core.features import prompt_readings, readings_fingerprint

    folder = tmp_path / f"readings-{readings_fingerprint()}"
    folder.mkdir()
    (folder / "broken.npz").write_bytes(b"not a zip file")
    texts, columns = prompt_readings(READ, tmp_path)
    assert texts == prompt_readings(READ)[0]
    np.testing.assert_array_equal(columns, prompt_readings(READ)[1])
    assert len(list(folder.glob("*.npz"))) == 2  # the broken file stays; a good shard is added beside it
