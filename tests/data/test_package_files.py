"""The two pickled dataset files: hash-checked, restricted unpickling, contents as documented."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle

import numpy as np
import pytest

from har.data import _package_files as package_files
from har.data.sources.hapt import HaptSource
from har.data.sources.watch import WatchSource


def test_watch_matches_the_source():
    recordings = WatchSource().load()
    assert len(recordings.recordings) == 140
    assert len({r.subject for r in recordings.recordings}) == 10
    per_class = np.bincount([r.labels[0] for r in recordings.recordings])
    assert per_class.tolist() == [20] * 7
    assert all(r.signals.shape[1] == 6 and r.rate_hz == 50 for r in recordings.recordings)
    # accelerometer in g: the gravity norm is about 1 on average
    accel = np.concatenate([r.signals[:, :3] for r in recordings.recordings])
    assert 0.9 < np.linalg.norm(accel, axis=1).mean() < 1.3


def test_hapt_matches_the_source():
    recordings = HaptSource().load()
    assert len({r.subject for r in recordings.recordings}) == 30
    assert len(recordings.recordings) == 61
    assert len(recordings.class_names) == 6
    labels = np.concatenate([r.labels for r in recordings.recordings])
    assert set(np.unique(labels)) == {-1, 0, 1, 2, 3, 4, 5}
    assert len(HaptSource(include_transitions=True).load().class_names) == 12


def _pickle_file(tmp_path, payload: bytes, *, gz: bool):
    path = tmp_path / ("file.pkl.gz" if gz else "file.npy")
    if gz:
        path.write_bytes(gzip.compress(payload))
    else:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": ()})
        path.write_bytes(header.getvalue() + payload)  # the header starts with the magic
    return path


@pytest.mark.parametrize("reader", [package_files.read_watch_file, package_files.read_hapt_file])
def test_refuses_a_file_with_another_hash(tmp_path, reader):
    path = _pickle_file(
        tmp_path, pickle.dumps({"X": []}, protocol=2), gz=reader is package_files.read_hapt_file
    )
    with pytest.raises(package_files.PackageFileError, match="does not match the pinned"):
        reader(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("reader", [package_files.read_watch_file, package_files.read_hapt_file])
def test_refuses_a_pickle_naming_another_class(tmp_path, reader):
    path = _pickle_file(
        tmp_path, pickle.dumps({"X": _Evil()}, protocol=2), gz=reader is package_files.read_hapt_file
    )
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()  # pretend it is the pinned file
    with pytest.raises(package_files.PackageFileError, match="system.*not allowed"):
        reader(path, sha256=sha256)


def test_missing_package_names_the_extra():
    with pytest.raises(package_files.PackageFileError, match=r"har\[hapt\]"):
        package_files.package_file("no-such-distribution", "x", extra="hapt")
