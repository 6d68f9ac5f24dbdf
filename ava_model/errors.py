"""One error hierarchy for AVA; every message names the bad value and the valid choices."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AvaError(Exception):
    """Base class of every error AVA raises on purpose."""


class InvalidPrompt(AvaError, ValueError):
    """A prompt is not a non-empty string of valid Unicode within the length limit.

    For a batch, ``problems`` lists every bad row as (position, reason).
    """

    problems: list[tuple[int, str]] = []


class UnknownPlatform(AvaError, KeyError):
    """A platform string matches no platform id or alias."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class UnknownMode(AvaError, KeyError):
    """A failure-mode id is not in the taxonomy."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RulesError(AvaError, ValueError):
    """A rules file under data/rules is missing a field or holds a bad value."""


class LabelValidationError(AvaError, ValueError):
    """Labelled rows break the label schema; the message lists row numbers."""


class LabelStoreError(AvaError):
    """The label store file cannot be opened, read or written (corrupt, read-only, missing folder, disk full)."""


class AccountError(AvaError):
    """An account operation was refused (bad name, unknown account or plan) or the accounts file is unreadable."""


class DataSourceError(AvaError, ValueError):
    """A benchmark file is missing or malformed."""


class DriftInputError(AvaError, ValueError):
    """A drift input (window, embeddings, risks, labelled frame or setting) is malformed."""


class ConfigError(AvaError, ValueError):
    """A job's configuration or an argument names a bad value (training settings, queue sizes, backends)."""


class UnreadableNumber(AvaError, ValueError):
    """A text meant as a number is neither digits nor English number words."""


class TrainingError(AvaError, ValueError):
    """Training, comparing or promoting a model cannot go on with the data or models given."""


class ArtifactError(AvaError):
    """A model artifact cannot be found or read."""


class ArtifactMismatch(ArtifactError):
    """An artifact failed its checksum or was built with other library versions."""


class UnsafeArtifact(ArtifactError):
    """An artifact's pickle names globals outside the allow-list; it was not loaded."""


def suggest(value: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean X?' for a close match among choices, else ''."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
