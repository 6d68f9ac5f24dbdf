"""Input checks for prompts and platforms, in one place, with errors that say what arrived."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ava_model.errors import InvalidPrompt, UnknownPlatform
from ava_model.rules.taxonomy import Rules


# C0 and C1 control characters other than tab, newline and carriage return: replaced by a space.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_LISTED_ERRORS = 20  # a batch error lists this many bad rows, then counts the rest


def has_surrogate(text: str) -> bool:
    """Return True if text holds a lone surrogate (it is not valid Unicode and cannot be encoded)."""
    return _SURROGATE.search(text) is not None


def normalise_text(text: str) -> str:
    """Return text in Unicode NFC with control characters replaced by spaces (tabs and newlines kept)."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text))


def check_prompt(prompt: object, max_chars: int, *, position: int | None = None) -> str:
    """Return the prompt normalised (:func:`normalise_text`) and stripped, or raise InvalidPrompt.

    Text that is not valid Unicode (a lone surrogate, as left by invalid UTF-8 bytes decoded with
    ``surrogateescape``) is refused with the character's index: it cannot be encoded, embedded or logged.
    """
    where = "" if position is None else f" at position {position}"
    if not isinstance(prompt, str):
        raise InvalidPrompt(f"Prompt{where} must be a string, got {type(prompt).__name__}: {_preview(prompt)}.")
    bad = _SURROGATE.search(prompt)
    if bad:
        raise InvalidPrompt(
            f"Prompt{where} is not valid Unicode: a lone surrogate U+{ord(bad.group()):04X} at character "
            f"{bad.start()} (invalid UTF-8 bytes in the input?). Send UTF-8 text."
        )
    text = normalise_text(prompt).strip()
    if not text:
        raise InvalidPrompt(f"Prompt{where} is empty or white space only; write what the video should show.")
    if len(text) > max_chars:
        raise InvalidPrompt(
            f"Prompt{where} has {len(text)} characters; the limit is {max_chars} "
            f"(max_prompt_chars in data/rules/thresholds.yaml)."
        )
    return text


def _preview(value: object) -> str:
    """Return a short, printable repr of a bad value (never raises, never echoes a surrogate)."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text[:60].encode("ascii", "backslashreplace").decode("ascii")


def check_prompts(prompts: object, max_chars: int) -> list[str]:
    """Return a list of checked prompts from one string or a sequence of strings.

    Every bad row is reported in one InvalidPrompt (position and reason, the first
    MAX_LISTED_ERRORS listed, the rest counted); ``error.problems`` holds all of them.
    """
    if isinstance(prompts, str):
        return [check_prompt(prompts, max_chars)]
    if isinstance(prompts, (bytes, bytearray)) or (not isinstance(prompts, Sequence) and not hasattr(prompts, "__iter__")):
        raise InvalidPrompt(f"Prompts must be a string or a sequence of strings, got {type(prompts).__name__}.")
    checked, problems = [], []
    for i, p in enumerate(prompts):  # type: ignore[union-attr]
        try:
            checked.append(check_prompt(p, max_chars))
        except InvalidPrompt as exc:
            problems.append((i, str(exc).removeprefix("Prompt ")))
    if problems:
        raise _batch_error(problems, len(checked) + len(problems), "prompt")
    if not checked:
        raise InvalidPrompt("No prompts given: pass at least one prompt.")
    return checked


def _batch_error(problems: list[tuple[int, str]], total: int, what: str) -> InvalidPrompt:
    """Return one InvalidPrompt listing the bad rows of a batch (position: reason), capped, with all in ``.problems``."""
    error = InvalidPrompt(f"{len(problems)} of {total} {what}s are invalid, nothing scored: "
                          f"{_capped([(i, reason.rstrip('.')) for i, reason in problems])}.")
    error.problems = problems
    return error


def _capped(items: list[tuple[int, str]]) -> str:
    """Return 'position i: text; ...' for the first MAX_LISTED_ERRORS items, then how many more."""
    listed = "; ".join(f"position {i}: {text}" for i, text in items[:MAX_LISTED_ERRORS])
    more = len(items) - MAX_LISTED_ERRORS
    return listed + (f"; and {more} more (see .problems)" if more > 0 else "")


def check_platforms(platforms: object, n: int, rules: Rules) -> list[str]:
    """Return one canonical platform id per prompt from one name or one name per prompt.

    With one name per prompt, every unknown name is reported in one UnknownPlatform (positions listed).
    """
    if isinstance(platforms, str):
        return [rules.platform(platforms).id] * n
    names = list(platforms)  # type: ignore[call-overload]
    if len(names) != n:
        raise InvalidPrompt(f"Got {n} prompts but {len(names)} platforms; pass one platform or one per prompt.")
    ids, bad = [], []
    for i, name in enumerate(names):
        try:
            ids.append(rules.platform(name).id)
        except UnknownPlatform as exc:
            bad.append((i, _preview(name), str(exc)))
    if bad:
        error = UnknownPlatform(
            f"{len(bad)} of {n} platforms are unknown, nothing scored: {_capped([(i, name) for i, name, _ in bad])}. "
            f"Valid platforms: {', '.join(rules.platform_ids)}." + (f" First error: {bad[0][2]}" if len(bad) == 1 else "")
        )
        error.problems = [(i, message) for i, _, message in bad]
        raise error
    return ids
