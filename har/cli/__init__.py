"""The `har-*` console scripts: answer --help, check the whole config, then do the work.

    har-train model=resnet1d trainer.epochs=60

Each command composes its config with Hydra's compose API (`har.config.compose_run`) and
checks it (keys, group options, mandatory values, the experiment's command, the command's
own conflicts) before importing TensorFlow or creating its output folder: a mistake costs
a second, prints one line naming the key with the closest valid spelling, exits 2 and leaves
nothing behind. Only then is the command's importable function called with the config.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

import har
from har.cli.commands import COMMANDS
from har.cli.errors import run_reporting
from har.config import ConfigError, check_experiment, check_required, compose_run


def run(name: str, argv: Sequence[str] | None = None) -> int:
    """Run command `name` with `argv` (default: the process's arguments); return its exit code."""
    command = COMMANDS[name]
    args = list(sys.argv[1:] if argv is None else argv)
    state: dict[str, DictConfig] = {}

    def work() -> None:
        flags, overrides, folders = _split(args)
        if "--help" in flags or "-h" in flags:
            from har.cli.help import help_text

            about, options, examples = command.about, command.options, command.examples
            print(
                help_text(
                    name, command.config, about=about, options=options, examples=examples, config_dirs=folders
                )
            )
            return
        unknown = [f for f in flags if f != "--cfg"]
        if unknown:
            raise ConfigError(
                f"{unknown[0]}: no such flag ({name} takes key=value overrides, --config-dir, --help and --cfg)"
            )
        cfg = state["cfg"] = compose_run(command.config, overrides, config_dirs=folders)
        if command.stores_config_dirs:  # its trials or cells compose from them too
            with open_dict(cfg):
                cfg.config_dirs = [str(Path(folder).resolve()) for folder in folders]
        check_required(cfg)
        check_experiment(cfg, name)
        if command.check:
            command.check(cfg)
        if flags:
            print(OmegaConf.to_yaml(cfg), end="")
            return
        command.run(cfg)

    def output() -> str | None:
        cfg = state.get("cfg")
        return str(cfg.paths.output_dir) if cfg is not None and "output_dir" in cfg.get("paths", {}) else None

    return run_reporting(work, output=output)


def _split(args: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """A command line's flags, overrides and `--config-dir` folders (Hydra's flag, `-cd` too)."""
    flags, overrides, folders = [], [], []
    items = iter(args)
    for arg in items:
        if arg in ("--config-dir", "-cd"):
            folder = next(items, None)
            if folder is None or folder.startswith("-") or "=" in folder:
                raise ConfigError(f"{arg}: give it a folder of your configs ({arg} my_conf)")
            folders.append(folder)
        elif arg.startswith("--config-dir="):
            folders.append(arg.partition("=")[2])
        else:
            (flags if arg.startswith("-") else overrides).append(arg)
    return flags, overrides, folders


def _script(name: str) -> Callable[[], None]:
    def main() -> None:
        har.configure_process()
        try:
            code = run(name)
            sys.stdout.flush()
        except BrokenPipeError:  # `har-train --help | head`: the reader left; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        sys.exit(code)

    main.__doc__ = f"`{name}`: {COMMANDS[name].about}"
    return main


har_train = _script("har-train")
har_sweep = _script("har-sweep")
har_export = _script("har-export")
har_track = _script("har-track")
har_ablate = _script("har-ablate")
har_data = _script("har-data")
har_synth = _script("har-synth")
har_augment_preview = _script("har-augment-preview")
