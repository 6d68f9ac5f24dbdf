"""Input checks for prompts and platforms, in one place, with errors that say what arrived."""

from __future__ import annotations

from collections.abc import Sequence

from ava_model.errors import InvalidPrompt
from ava_model.rules import Rules


def check_prompt(prompt: object, max_chars: int, *, position: int | None = None) -> str:
    """Return the prompt stripped of outer white space, or raise InvalidPrompt."""
    where = "" if position is None else f" at position {position}"
    if not isinstance(prompt, str):
        raise InvalidPrompt(f"Prompt{where} must be a string, got {type(prompt).__name__}: {prompt!r:.60}.")
    text = prompt.strip()
    if not text:
        raise InvalidPrompt(f"Prompt{where} is empty or white space only; write what the video should show.")
    if len(text) > max_chars:
        raise InvalidPrompt(
            f"Prompt{where} has {len(text)} characters; the limit is {max_chars} "
            f"(max_prompt_chars in data/rules/thresholds.yaml)."
        )
    return text


def check_prompts(prompts: object, max_chars: int) -> list[str]:
    """Return a list of checked prompts from one string or a sequence of strings."""
    if isinstance(prompts, str):
        return [check_prompt(prompts, max_chars)]
    if not isinstance(prompts, Sequence) and not hasattr(prompts, "__iter__"):
        raise InvalidPrompt(f"Prompts must be a string or a sequence of strings, got {type(prompts).__name__}.")
    checked = [check_prompt(p, max_chars, position=i) for i, p in enumerate(prompts)]  # type: ignore[union-attr]
    if not checked:
        raise InvalidPrompt("No prompts given: pass at least one prompt.")
    return checked


def check_platforms(platforms: object, n: int, rules: Rules) -> list[str]:
    """Return one canonical platform id per prompt from one name or one name per prompt."""
    if isinstance(platforms, str):
        return [rules.platform(platforms).id] * n
    names = list(platforms)  # type: ignore[call-overload]
    if len(names) != n:
        raise InvalidPrompt(f"Got {n} prompts but {len(names)} platforms; pass one platform or one per prompt.")
    return [rules.platform(name).id for name in names]
