"""Atomic writes: a file is either absent or complete, never half-written.

Every artifact is written to a temporary file in the destination folder, flushed to disk,
then renamed over the destination (rename is atomic within one file system). A full disk
(or a file-size or quota limit) is an `OutputError` naming the file, with nothing written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from har.errors import UserError

# No space left, a file larger than the process may write (RLIMIT_FSIZE), a quota exceeded.
OUT_OF_SPACE = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class OutputError(UserError, OSError):
    """An output could not be written for lack of space; nothing partial was left."""


@contextmanager
def out_of_space_is_an_output_error(destination: str | Path) -> Iterator[None]:
    """Turn a full disk while writing `destination` into one clear `OutputError`."""
    try:
        yield
    except OSError as error:
        if error.errno not in OUT_OF_SPACE or isinstance(error, OutputError):
            raise
        raise OutputError(
            f"{destination}: not written ({error.strerror}); nothing partial was left and any "
            "previous version is intact. Free some space or point the output elsewhere."
        ) from None


@contextmanager
def atomic_path(destination: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to `destination`; on success it replaces `destination`.

    On any error the temporary file is removed and `destination` is left as it was.
    `suffix` keeps writers that look at the extension (Keras, numpy) happy.
    """
    destination = Path(destination)
    with out_of_space_is_an_output_error(destination):
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=f".tmp{suffix}", dir=destination.parent
        )
        os.close(handle)
        temporary = Path(name)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        try:
            yield temporary
            with open(temporary, "rb+") as stream:
                os.fsync(stream.fileno())
            os.replace(temporary, destination)
        finally:
            temporary.unlink(missing_ok=True)


def atomic_write(destination: str | Path, write: Callable[[Path], Any], suffix: str = "") -> Path:
    """Call `write(temporary_path)` and move the result to `destination` atomically."""
    with atomic_path(destination, suffix) as temporary:
        write(temporary)
    return Path(destination)


def write_text(destination: str | Path, text: str) -> Path:
    return atomic_write(destination, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes(destination: str | Path, data: bytes) -> Path:
    return atomic_write(destination, lambda p: p.write_bytes(data))


def write_json(destination: str | Path, payload: Any) -> Path:
    return write_text(destination, json.dumps(payload, indent=2, sort_keys=False, default=_jsonable) + "\n")


def write_csv(destination: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Rows of one dict each (the first row's keys are the header), written atomically."""
    import csv
    import io

    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return write_text(destination, buffer.getvalue())


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
