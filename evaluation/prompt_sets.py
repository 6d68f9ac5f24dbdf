"""Prompt sets for benchmarks: distinct texts built from the authored prompts and ladders, so no cache flatters a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = ("", ", shot on 35mm film", ", soft morning light", ", 4k, high detail", ", handheld camera",
            ", slow motion", ", wide angle lens", ", overcast afternoon")


def base_prompts() -> list[str]:
    """Return the distinct prompts of ``data/authored`` and ``data/ladders``, in file order."""
    import pandas as pd

    from ava_training.paths import authored_dir, ladders_dir

    texts: list[str] = []
    for folder in (authored_dir(), ladders_dir()):
        for path in sorted(folder.glob("*.csv")):
            texts.extend(pd.read_csv(path, dtype=str, keep_default_na=False)["prompt"].tolist())
    return list(dict.fromkeys(t for t in texts if t.strip()))


def distinct_prompts(n: int, platforms: tuple[str, ...]) -> pd.DataFrame:
    """Return ``n`` distinct (id, prompt, platform) rows: each base prompt with a style suffix, then numbered takes."""
    import pandas as pd

    texts = base_prompts()
    rows: list[str] = []
    take = 0
    while len(rows) < n:
        suffix = SUFFIXES[take % len(SUFFIXES)] + (f" (take {take // len(SUFFIXES)})" if take >= len(SUFFIXES) else "")
        rows.extend(f"{t}{suffix}" for t in texts)
        take += 1
    rows = rows[:n]
    return pd.DataFrame({"id": [f"r{i}" for i in range(n)], "prompt": rows,
                         "platform": [platforms[i % len(platforms)] for i in range(n)]})
