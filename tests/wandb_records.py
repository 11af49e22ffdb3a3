"""Reading offline W&B runs back, for the tests: config, history and summary from the record log.

wandb ships no reader of its `.wandb` record log. The format: a 7-byte file header, then
LevelDB-log framing in 32 KiB blocks; each chunk is crc32 (4 bytes), length (uint16 LE),
type (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST), payload; assembled payloads are `Record` protos.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_BLOCK = 32 * 1024
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read_records(path: str | Path) -> Iterator[Any]:
    """Yield every `wandb_internal_pb2.Record` in an offline `.wandb` file."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    if len(data) < _HEADER or data[:4] != b":W&B":
        raise ValueError(f"{path}: not a W&B record log")
    offset, pending = _HEADER, b""
    while offset + _HEADER <= len(data):
        left_in_block = _BLOCK - offset % _BLOCK
        if left_in_block < _HEADER:  # block trailer padding
            offset += left_in_block
            continue
        checksum, length, kind = struct.unpack("<IHB", data[offset : offset + _HEADER])
        payload = data[offset + _HEADER : offset + _HEADER + length]
        offset += _HEADER + length
        if kind == 0 and length == 0:
            continue
        if zlib.crc32(bytes([kind]) + payload) & 0xFFFFFFFF != checksum:
            raise ValueError(f"{path}: bad checksum at byte {offset}")
        if kind == _FULL:
            pending = payload
        elif kind == _FIRST:
            pending = payload
            continue
        elif kind == _MIDDLE:
            pending += payload
            continue
        elif kind == _LAST:
            pending += payload
        record = wandb_internal_pb2.Record()
        record.ParseFromString(pending)
        pending = b""
        yield record


def run_file(run_dir: str | Path) -> Path:
    """The `.wandb` file of an offline run folder (`.../wandb/offline-run-*`)."""
    files = sorted(Path(run_dir).glob("*.wandb"))
    if len(files) != 1:
        raise FileNotFoundError(f"{run_dir}: expected one .wandb file, found {len(files)}")
    return files[0]


def _finished_records(run_dir: str | Path, wait_s: float) -> list[Any]:
    """The run's records once its exit record is written (or whatever is there after `wait_s`)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            records = list(read_records(run_file(run_dir)))
            if any(r.WhichOneof("record_type") == "exit" for r in records):
                return records
        except (OSError, ValueError):  # not there yet, or its last chunk still being written
            if time.monotonic() >= deadline:
                raise
        if time.monotonic() >= deadline:
            return records
        time.sleep(0.2)


def read_run(run_dir: str | Path, *, wait_s: float = 30.0) -> dict[str, Any]:
    """Config, history rows and summary of an offline run, decoded from its record log.

    W&B's service may still be writing the log for a moment after `finish` returns; a run
    whose exit record is not there yet is read again, for up to `wait_s` seconds.
    """
    records = _finished_records(run_dir, wait_s)
    config: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    run_info: dict[str, Any] = {}
    for record in records:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run_info = {
                "id": record.run.run_id,
                "name": record.run.display_name,
                "group": record.run.run_group,
                "job_type": record.run.job_type,
                "project": record.run.project,
            }
            for item in record.run.config.update:
                config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "config":
            for item in record.config.update:
                config[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "history":
            history.append(
                {
                    item.key or "/".join(item.nested_key): json.loads(item.value_json)
                    for item in record.history.item
                }
            )
        elif kind == "summary":
            for item in record.summary.update:
                summary[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "artifact":
            run_info.setdefault("artifacts", []).append(record.artifact.name)
        elif kind == "exit":
            run_info["exit_code"] = record.exit.exit_code
    return {"run": run_info, "config": config, "history": history, "summary": summary}
