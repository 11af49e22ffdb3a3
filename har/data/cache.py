"""On-disk cache of windowed arrays, keyed by a hash of everything that shapes the windows."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from har.io import atomic_write

# Bump when the windowing code changes what it produces for the same config.
CACHE_FORMAT = 1


def cache_key(parts: dict[str, Any]) -> str:
    text = json.dumps({"format": CACHE_FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CacheKeys:
    """What one cache's key is made of, declared once, beside the code that computes it.

    Every key of the config section a cache is computed from is either in `depends_on` (its
    value goes into the key: changing it makes a new entry) or in `ignores`, with the reason
    it cannot change what the entry holds. `tests/test_cache_keys.py` composes every config
    option and fails on a key in neither, so a new setting cannot silently reuse a stale entry.
    `depends_on=None` means every key not ignored (a deny-list, for keys of a whole run).
    """

    name: str
    depends_on: tuple[str, ...] | None
    ignores: Mapping[str, str] = field(default_factory=dict)  # dotted key -> why it does not matter

    def parts(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The values of `settings` (a plain container) that go into the key."""
        if self.depends_on is not None:
            return {key: settings[key] for key in self.depends_on if key in settings}
        return _without(settings, [key.split(".") for key in self.ignores])

    def undeclared(self, settings: Mapping[str, Any]) -> list[str]:
        """Top-level keys of `settings` that are neither depended on nor ignored."""
        if self.depends_on is None:
            return []
        declared = set(self.depends_on) | {key.split(".")[0] for key in self.ignores}
        return sorted(set(settings) - declared)


def _without(settings: Mapping[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    """`settings` less the keys at `paths` (each a list of nested key names)."""
    kept = {}
    for key, value in settings.items():
        inner = [path[1:] for path in paths if path[0] == key]
        if [] in inner:
            continue
        kept[key] = _without(value, inner) if inner and isinstance(value, Mapping) else value
    return kept


def load(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None if absent or unreadable (a corrupt entry is rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None


def save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    def write(temporary: Path) -> None:
        with open(temporary, "wb") as stream:
            np.savez(stream, **arrays)

    atomic_write(path, write)
