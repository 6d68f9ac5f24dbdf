"""Time an incremental retrain with 1,000 new user labels on top of the existing data.

Run: ``python -m ava_evaluation.benchmark_retrain``. Uses a temporary label store and MLflow
store; the embedding cache makes everything but the new prompts free to embed.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Write 1,000 labels, retrain against the champion, print the wall-clock time of each stage."""
    from ava_model.labels.store import LabelStore
    from ava_training.config import TrainConfig
    from ava_training.retrain import current_champion, retrain

    subjects = ["a chef", "a pilot", "a nurse", "a boxer", "a singer", "a teacher", "a farmer", "a diver",
                "a painter", "a runner"]
    actions = ["says 'we leave at dawn, pack light and do not look back'", "juggles seven oranges",
               "pours honey over pancakes", "holds a sign that reads 'OPEN ALL NIGHT'", "walks behind a pillar",
               "shakes hands with a robot", "turns to camera while the camera orbits", "ages forty years",
               "counts twelve coins onto a table", "opens a door, sits down, then reads a letter"]
    modes = ["lip_sync", "object_count", "physics", "text_rendering", "vanishing_subject", "interaction",
             "camera_motion", "identity_drift", "object_count", "action_order"]
    platforms = ["sora-2", "veo-3", "kling", "pika", "luma"]
    rows = []
    for i, ((s, subject), (a, action), platform) in enumerate(
        itertools.islice(itertools.product(enumerate(subjects), enumerate(actions), platforms * 4), 1000)
    ):
        rows.append({"prompt": f"{subject} {action}, take {i}", "platform": platform, "mode": modes[a],
                     "label": float((i * 7) % 10 < 6), "source": "benchmark", "weight": 1.0,
                     "labelled_at": "2026-11-24", "generation_id": f"bench-{i}"})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        store = LabelStore(Path(tmp) / "labels.db")
        start = time.perf_counter()
        store.add(rows)
        stored = time.perf_counter() - start
        champion = current_champion()
        start = time.perf_counter()
        result, decision = retrain(TrainConfig(label_store=Path(tmp) / "labels.db", out_dir=Path(tmp) / "out"),
                                   champion=champion)
        elapsed = time.perf_counter() - start
    print(f"stored 1000 labels in {stored:.2f} s; retrain (embed new prompts, fit 11 heads with head selection, "
          f"gate, MLflow run + registry) in {elapsed:.1f} s; decision: {decision.summary()}")


if __name__ == "__main__":
    main()
