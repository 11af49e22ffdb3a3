"""On-disk cache of windowed arrays, keyed by a hash of everything that shapes the windows."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from har.io import atomic_write

# Bump when the windowing code changes what it produces for the same config.
CACHE_FORMAT = 1


def cache_key(parts: dict[str, Any]) -> str:
    text = json.dumps({"format": CACHE_FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


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
