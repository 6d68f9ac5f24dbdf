"""Model inputs: the prompt embedding, a few cheap prompt-structure features, each mode's exposure and negation.

Training and prediction both build features here, so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ava_model.core.exposure import embedding_text, exposure_matrices, exposure_matrix, load_exposure_rules, negation_matrix, read_prompt
from ava_model.text.quotes import Quote, quoted_spans, quotes
from ava_model.errors import ConfigError

if TYPE_CHECKING:
    from ava_model.core.embedding import Embedder

__all__ = ["STRUCTURE_FEATURES", "CountMention", "Quote", "build_features", "count_mentions", "embed",
           "embedded_inputs", "embedding_text", "exposure_matrices", "exposure_matrix", "model_inputs", "negation_matrix",
           "prompt_readings", "quoted_spans", "quotes", "reading_columns", "readings_fingerprint", "structure_features",
           "structure_matrix"]

STRUCTURE_FEATURES = (
    "spoken_words",  # quoted words introduced as on-screen speech ("she says '...'")
    "offscreen_words",  # quoted words heard with no visible mouth (voice-over, narrator, radio)
    "written_words",  # other quoted words: sign, caption or label text
    "quoted_segments",  # how many quoted spans: speakers, signs
    "requested_seconds",  # longest duration asked for ("an 8-second clip", "a ten-second speech")
    "max_count",  # largest object count named ("seven balloons"); durations and ages are not counts
    "prompt_words",  # prompt length
)


@dataclass(frozen=True)
class CountMention:
    """An object count named outside quotes ("seven" in "seven balloons"), with its value."""

    start: int
    end: int
    value: int


def count_mentions(prompt: str) -> list[CountMention]:
    """Return object counts named outside quotes; durations, ages, years, lens and frame-rate numbers are not counts."""
    return [CountMention(n.start, n.end, int(n.value)) for n in read_prompt(prompt).counts]


def structure_features(prompt: str) -> np.ndarray:
    """Return the STRUCTURE_FEATURES of one prompt as raw counts (before scaling)."""
    reading = read_prompt(prompt)
    words = {kind: 0 for kind in ("spoken", "offscreen", "written")}
    for q in reading.quotes:
        words[q.kind] += len(prompt[q.start : q.end].split())
    counts = [n.value for n in reading.counts]
    return np.array(
        [words["spoken"], words["offscreen"], words["written"], len(reading.quotes), reading.clip_seconds or 0.0,
         max(counts, default=0), len(prompt.split())],
        dtype=np.float32,
    )


def feature_names(dimension: int, modes: tuple[str, ...]) -> tuple[str, ...]:
    """Return the names of the model input columns: ``embedding_0..``, structure, ``exposure_<mode>``, ``negated_<mode>``."""
    return (tuple(f"embedding_{i}" for i in range(dimension)) + STRUCTURE_FEATURES
            + tuple(f"exposure_{m}" for m in modes) + tuple(f"negated_{m}" for m in modes))


def structure_matrix(prompts: list[str]) -> np.ndarray:
    """Return an (n, len(STRUCTURE_FEATURES)) array of log1p-scaled structure features."""
    if not prompts:
        return np.zeros((0, len(STRUCTURE_FEATURES)), dtype=np.float32)
    return np.log1p(np.stack([structure_features(p) for p in prompts]))


def reading_columns(prompts: list[str], topic_texts: list[str] | None = None) -> np.ndarray:
    """Return the model input columns after the embedding: structure features, one exposure and one negation per mode.

    The exposure columns (exposure rules' mode order, :func:`exposure_matrix`) and the 0/1 negation columns
    (:func:`negation_matrix`) are read by the exposure heads; the topic heads read the structure features.
    ``topic_texts``: the prompts' :func:`embedding_text`, when the caller already has them (they are read again otherwise).
    """
    modes = tuple(load_exposure_rules().modes)
    exposures, negated = exposure_matrices(prompts, modes)
    if topic_texts is None:
        topic_texts = [embedding_text(p) for p in prompts]
    structure = structure_matrix(topic_texts)  # the topic heads never read a negation or which number was named
    return np.hstack([structure, exposures.astype(np.float32), negated.astype(np.float32)])


def build_features(embeddings: np.ndarray, prompts: list[str], topic_texts: list[str] | None = None) -> np.ndarray:
    """Return the model input matrix: the embeddings, then :func:`reading_columns`."""
    if len(embeddings) != len(prompts):
        raise ConfigError(f"Got {len(embeddings)} embeddings for {len(prompts)} prompts.")
    return np.hstack([embeddings.astype(np.float32), reading_columns(prompts, topic_texts)])


def readings_fingerprint() -> str:
    """Return a digest of everything a prompt's reading depends on: the exposure rules and the code that applies them."""
    import hashlib
    import json
    import sys

    from ava_model.rules.taxonomy import read_rules_file

    digest = hashlib.sha256(json.dumps(read_rules_file("exposure"), sort_keys=True, default=str).encode())
    for name in ("ava_model.core.exposure", "ava_model.core.features", "ava_model.rules.exposure",
                 "ava_model.text.numbers", "ava_model.text.quotes"):
        digest.update(Path(sys.modules[name].__file__).read_bytes())
    return digest.hexdigest()[:16]


def prompt_readings(prompts: list[str], cache_dir: str | Path | None = None) -> tuple[list[str], np.ndarray]:
    """Return (embedding texts, :func:`reading_columns`) of prompts, read once per distinct prompt.

    ``cache_dir``: keep the readings on disk under ``readings-<fingerprint>`` (:func:`readings_fingerprint`),
    so a later run with the same rules and code reads no prompt again; ``None``: nothing is kept.
    """
    from ava_model.core.embedding import text_key
    from ava_model.core.shard_cache import read_shards, write_shard

    folder = Path(cache_dir) / f"readings-{readings_fingerprint()}" if cache_dir else None
    known: dict[str, tuple[str, np.ndarray]] = {}
    if folder is not None:
        for keys, arrays in read_shards(folder, ("texts", "columns")):
            known.update(zip(keys, zip(arrays["texts"].tolist(), arrays["columns"])))
    keys = [text_key(p) for p in prompts]
    todo = {k: p for k, p in zip(keys, prompts) if k not in known}
    if todo:
        new = list(todo.values())
        texts = [embedding_text(p) for p in new]
        columns = reading_columns(new, texts)
        known.update(zip(todo, zip(texts, columns)))
        if folder is not None:
            write_shard(folder, list(todo), texts=np.array(texts), columns=columns)
    if not prompts:
        return [], reading_columns([])
    return [known[k][0] for k in keys], np.stack([known[k][1] for k in keys])


def embed(embedder: Embedder, prompts: list[str], *, show_progress: bool = False) -> np.ndarray:
    """Return the embeddings of prompts as the topic heads read them: no negation phrase, one number for every count.

    The embedding cannot tell "a man speaking" from "a man not speaking" (:func:`embedding_text`).
    """
    return embedder.encode([embedding_text(p) for p in prompts], show_progress=show_progress)


def model_inputs(embedder: Embedder, prompts: list[str], *, show_progress: bool = False) -> np.ndarray:
    """Return the model input matrix of checked prompts, embedded in one batch."""
    return embedded_inputs(embedder, prompts, show_progress=show_progress)[1]


def embedded_inputs(embedder: Embedder, prompts: list[str], *, show_progress: bool = False,
                    readings_cache: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (embeddings, model input matrix) of checked prompts, each prompt's embedding text read once.

    ``readings_cache``: a folder that keeps each prompt's reading (:func:`prompt_readings`), as the embedder's
    cache keeps its vector; training passes its cache folder, scoring keeps nothing.
    """
    texts, columns = prompt_readings(prompts, readings_cache)
    embeddings = embedder.encode(texts, show_progress=show_progress)
    return embeddings, np.hstack([embeddings.astype(np.float32), columns])
