"""The deployment bundle: .tflite files, manifest.json, comparison.md/json; and reading it back.

A bundle is written into a temporary folder next to its destination and renamed into place
only when complete, so a killed export never leaves a bundle that looks valid. Reading a
bundle checks the sha256 of every file the manifest lists.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from har.errors import UserError
from har.io import out_of_space_is_an_output_error, sha256_file

MANIFEST = "manifest.json"
FORMAT = 1


class BundleError(UserError, ValueError):
    """A bundle is incomplete, tampered with, or not a har bundle."""


def write_bundle(destination: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> Path:
    """Write `files` and a manifest listing their sha256, atomically as a folder."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with out_of_space_is_an_output_error(destination):
        _write_staged(destination, files, manifest)
    return destination


def _write_staged(destination: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Write into a hidden sibling folder, then rename it to `destination`."""
    old = destination.with_name(f".{destination.name}.old")
    shutil.rmtree(old, ignore_errors=True)  # left by a writer killed between its two renames
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        manifest = {
            **manifest,
            "format": FORMAT,
            "files": {
                name: {"sha256": sha256_file(staging / name), "bytes": len(content)}
                for name, content in files.items()
            },
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=_plain) + "\n")
        for path in staging.iterdir():
            with open(path, "rb") as stream:
                os.fsync(stream.fileno())
        os.chmod(staging, 0o755)
        if destination.exists():  # a killed writer leaves it here, or as `old`: never half
            os.replace(destination, old)
            os.replace(staging, destination)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


@dataclass(frozen=True)
class Bundle:
    folder: Path
    manifest: dict[str, Any]

    def model(self, variant: str = "float16") -> bytes:
        name = f"model_{variant}.tflite"
        if name not in self.manifest["files"]:
            raise BundleError(f"{self.folder}: no {name} (variants: {', '.join(self.variants)})")
        return (self.folder / name).read_bytes()

    @property
    def variants(self) -> list[str]:
        return [n[len("model_") : -len(".tflite")] for n in self.manifest["files"] if n.endswith(".tflite")]

    @property
    def class_names(self) -> list[str]:
        return list(self.manifest["classes"])


def read_bundle(folder: str | Path) -> Bundle:
    """Open a bundle, verifying every listed file's sha256."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{folder}: no {MANIFEST}; not a har bundle (or an export that did not finish)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise BundleError(f"{manifest_path}: not valid JSON ({error})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(e, dict) and "sha256" in e for e in files.values()):
        raise BundleError(f"{manifest_path}: no list of files with their sha256; not a har bundle")
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            raise BundleError(f"{path}: listed in the manifest but missing")
        actual = sha256_file(path)
        if actual != entry["sha256"]:
            raise BundleError(
                f"{path}: sha256 {actual} does not match the manifest's {entry['sha256']}; the file was changed"
            )
    return Bundle(folder, manifest)


def check_stream(bundle: Bundle, stream: Any) -> None:
    """Refuse a stream the bundle's model cannot read, or whose labels it cannot score.

    The stream (a replayed `har.stream.sources.Stream`, or a live `har.stream.live.LineStream`
    that names its channels) must have the model's channels and rate, hold at least one
    window (a replay), and label nothing the model does not know: a watch model on a hapt
    recording would otherwise score 0 and say nothing.
    """
    manifest = bundle.manifest
    channels = list(manifest["channels"])
    signals = getattr(stream, "signals", None)  # None for a live stream: nothing has arrived yet
    stream_channels = list(getattr(stream, "channels", None) or [])
    width = signals.shape[1] if signals is not None else len(stream_channels)
    if width != len(channels) or (stream_channels and stream_channels != channels):
        raise BundleError(
            f"{bundle.folder}: the model reads channels {', '.join(channels)}; the stream "
            f"{stream.name} has {', '.join(stream_channels) or f'{width} channel(s)'}"
        )
    if abs(float(stream.rate_hz) - float(manifest["rate_hz"])) > 1e-6:
        raise BundleError(
            f"{bundle.folder}: the model was trained at {manifest['rate_hz']:g} Hz; the stream "
            f"{stream.name} is at {stream.rate_hz:g} Hz"
        )
    if signals is not None and len(stream.t) < int(manifest["window"]):
        raise BundleError(
            f"{bundle.folder}: the model's window is {manifest['window']} samples; the stream "
            f"{stream.name} has only {len(stream.t)}"
        )
    labels = {str(label) for label, *_ in stream.truth}
    if stream.labels is not None:
        labels |= {stream.class_names[i] for i in np.unique(stream.labels) if i >= 0}
    unknown = sorted(labels - set(bundle.class_names))
    if unknown:
        raise BundleError(
            f"{bundle.folder}: the stream {stream.name} is labelled {', '.join(unknown)}, which the model "
            f"does not know (its classes: {', '.join(bundle.class_names)}); was it trained on this data?"
        )
