"""What an ablation's cells compose from, kept in its folder: a resume that differs is refused.

An ablation has no study to hold its settings, so the content of its `--config-dir` folders
(`har.config.config_files`: per folder, {relative path: text} of the YAML files) is written to
`<ablation folder>/config_dir.json` before the first cell trains. Repeating the command reuses
the finished cells, which is only right if they composed from the same configs: a changed,
added, removed or missing folder is refused, naming the files, while any cell has finished.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from har.config import ConfigError, config_files, file_changes
from har.io import write_json

STATE_FILE = "config_dir.json"


def check_config_dirs(root: Path, config_dirs: Sequence[str], finished: bool) -> list[dict[str, str]]:
    """Refuse `config_dirs` whose content differs from what the ablation's cells composed from.

    Args:
        root: the ablation folder.
        finished: whether any cell has finished (else a change is free: nothing was reused).

    Returns:
        The folders' content, for `remember_config_dirs` once every check has passed.
    """
    now = config_files(config_dirs)
    path = root / STATE_FILE
    if not finished:
        return now
    try:  # no file: cells from before --config-dir was stored, which composed from conf/ alone
        before = json.loads(path.read_text())["config_dir"] if path.is_file() else []
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"{path}: not an ablation state file ({error}); remove it or choose a new name"
        ) from None
    changes = file_changes(before, now)
    if changes:
        raise ConfigError(
            f"--config-dir content differs from what the finished cells of {root} composed from "
            f"({', '.join(changes[:5])}): give the same folder, or choose a new name="
        )
    return now


def remember_config_dirs(root: Path, content: list[dict[str, str]]) -> None:
    """Write the folders' content to the ablation's state file (before the first cell trains)."""
    write_json(root / STATE_FILE, {"config_dir": content})
