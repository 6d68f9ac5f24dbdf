"""Snapshot of full ``predict()`` answers on the product prompt set, to show a refactor changed nothing.

Run ``python -m ava_evaluation.snapshot --write before.json`` before a change and
``python -m ava_evaluation.snapshot --check before.json`` after it: the check prints how many of the
answers differ (and the first differences) and exits 1 when any does. ``model_version`` is left out,
so the same model loaded from another path compares equal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ava_evaluation.rewrite_eval import PROMPTS, read_prompts


def snapshot(prompts: Path = PROMPTS, model: str | None = None) -> list[dict[str, Any]]:
    """Return ``predict(prompt, platform).to_dict()`` of every row of the prompt set, in file order."""
    from ava_model.api import load

    predictor = load(model)
    answers = []
    for row in read_prompts(prompts):
        answer = predictor.predict(row["prompt"], row["platform"]).to_dict()
        answer.pop("model_version", None)
        answers.append(answer)
    return answers


def differences(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """Return one line per answer that differs between two snapshots (by position and prompt)."""
    lines = [] if len(before) == len(after) else [f"{len(before)} answers before, {len(after)} after"]
    for i, (a, b) in enumerate(zip(before, after)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            lines.append(f"answer {i} ({str(a.get('prompt'))[:50]!r}): {', '.join(keys)} differ")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Write or check a snapshot; return 1 when a check finds differences."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write the snapshot to this JSON file")
    action.add_argument("--check", type=Path, help="compare with this JSON snapshot")
    parser.add_argument("--model", default=None, help="artifact folder or models:/ URI (default: the shipped model)")
    args = parser.parse_args(argv)
    answers = json.loads(json.dumps(snapshot(model=args.model)))  # the JSON round trip the file makes
    if args.write:
        args.write.write_text(json.dumps(answers, indent=1, sort_keys=True), encoding="utf-8")
        print(f"{len(answers)} answers written to {args.write}")
        return 0
    found = differences(json.loads(args.check.read_text(encoding="utf-8")), answers)
    print(f"{len(answers)} answers, {len(found)} differ from {args.check}")
    for line in found[:10]:
        print("  " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
