"""The `har-*` console scripts: answer --help, check the whole config, then do the work.

    har-train model=resnet1d trainer.epochs=60

Each command composes its config with Hydra's compose API (`har.config.compose_run`) and
checks it (keys, group options, mandatory values, the experiment's command, the command's
own conflicts) before importing TensorFlow or creating its output folder: a mistake costs
a second, prints one line naming the key with the closest valid spelling, exits 2 and leaves
nothing behind. Only then is the command's importable function called with the config.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from har.cli_errors import run_reporting
from har.config import (
    ConfigError,
    check_experiment,
    check_override_sets,
    check_required,
    compose_run,
    group_options,
)


@dataclass(frozen=True)
class Command:
    """One console script: its config, the function it runs, and what --help says."""

    name: str
    config: str  # conf/<config>.yaml
    run: str  # "module:function", called with the checked config
    about: str
    options: tuple[str, ...] = ()  # the main options --help lists, with their conf/ comments
    examples: tuple[str, ...] = ()
    check: Callable[[DictConfig], None] | None = None  # the command's own conflicts
    # `--config-dir`: False where the work composes more configs later (a sweep's trials, an
    # ablation's cells), from conf/ alone: a folder of one's own would reach the first only
    config_dirs: bool = True


def _check_export(cfg: DictConfig) -> None:
    """One source of the model: a run folder, or a study (with its storage) that exists."""
    if cfg.run_dir is not None and cfg.study is not None:
        raise ConfigError(
            f"run_dir={cfg.run_dir} and study={cfg.study}: give one of them, not both "
            "(study= exports the study's best trial)"
        )
    if cfg.study is None and cfg.storage is not None:
        raise ConfigError(f"storage={cfg.storage}: read only with study=<name>; give the study too")
    if cfg.run_dir is None and cfg.study is None:
        raise ConfigError("give run_dir=<a har-train run folder> or study=<name> storage=<journal or URL>")
    if cfg.study is not None:
        if not cfg.storage:
            raise ConfigError(
                f"study={cfg.study}: give storage=<the sweep's journal.log, or its database URL> too"
            )
        from har.sweep.storage import check_study_exists

        check_study_exists(str(cfg.storage), str(cfg.study))


def _check_track(cfg: DictConfig) -> None:
    """A recording stream's data config (`stream.data` with `stream.overrides`) composes."""
    if "overrides" in cfg.stream and "data" in cfg.stream:
        datasets = group_options("data")
        if cfg.stream.data not in datasets:
            close = difflib.get_close_matches(str(cfg.stream.data), datasets, n=1)
            hint = f"; did you mean stream.data={close[0]}?" if close else ""
            raise ConfigError(
                f"stream.data={cfg.stream.data}: no such dataset{hint} (options: {', '.join(datasets)})"
            )
        data = [f"data={cfg.stream.data}", "paths.output_dir=unused"]
        check_override_sets("train", [("stream.overrides", [*data, *cfg.stream.overrides])])


COMMANDS = {
    command.name: command
    for command in (
        Command(
            "har-train",
            "train",
            "har.train:train",
            "train one model on windows split by subject; the epoch with the best val/macro_f1 is "
            "checkpointed and the test split is evaluated once, from it.",
            (
                "trainer.epochs",
                "trainer.batch_size",
                "trainer.patience",
                "optimizer.learning_rate",
                "data.train_fraction",
                "data.channels",
                "trainer.seed",
                "paths.root",
            ),
            (
                "har-train model=resnet1d augment=light trainer.epochs=60",
                "har-train data=csv data.source.path=my_data logger=none",
            ),
        ),
        Command(
            "har-sweep",
            "sweep",
            "har.sweep.driver:main",
            "run (or resume: the same command again) an Optuna study over har-train configs: sample "
            "the search space, prune, summarise, export the best trial.",
            (
                "sweep.study",
                "sweep.n_trials",
                "sweep.workers",
                "sweep.train_overrides",
                "sweep.objectives",
                "sweep.objective",
                "sweep.storage",
                "sweep.allow_changes",
                "sweep.export",
            ),
            (
                "har-sweep search_space=tiny sweep.n_trials=4 'sweep.train_overrides=[\"trainer.epochs=5\"]'",
                "har-sweep sweep.objective=dry_run sweep.n_trials=20   # checks storage and workers, trains nothing",
                "har-sweep +experiment=sweep_watch",
            ),
            config_dirs=False,
        ),
        Command(
            "har-export",
            "export",
            "har.export.exporter:export",
            "convert a finished run (or a study's best trial) to TFLite variants, compare each with "
            "Keras on the run's test split, and write a deployment bundle.",
            ("run_dir", "study", "storage", "variants", "ensemble", "guard.max_accuracy_drop"),
            (
                "har-export run_dir=outputs/runs/<run>",
                "har-export study=watch-default storage=outputs/sweeps/watch-default/journal.log",
            ),
            _check_export,
        ),
        Command(
            "har-track",
            "track",
            "har.stream.cli:track",
            "replay a sensor stream (or read a live one on stdin) through a bundle's model and a "
            "decoder: movements or segments as JSON lines, scored against the stream's own labels.",
            ("bundle", "variant", "chunk", "realtime", "print_events", "events.idle", "events.collar_s"),
            (
                "har-track bundle=outputs/sweeps/watch-default/export/bundle stream=recording "
                "stream.data=watch stream.subject=9 decoder=viterbi 'events.idle=[]'",
                "my_ble_bridge | har-track bundle=<bundle> stream=stdin   # CSV lines t,ax,ay,az,gx,gy,gz",
            ),
            _check_track,
        ),
        Command(
            "har-ablate",
            "ablate",
            "har.ablate:run_ablation",
            "train every cell of a grid of factors x seeds; report each cell's mean, std and 95% "
            "interval, and plot them.",
            ("name", "factors", "seeds", "overrides"),
            ("har-ablate name=augmentation 'factors={augment:[none,light,strong,um2017]}' 'seeds=[0,1,2]'",),
            config_dirs=False,
        ),
        Command(
            "har-data",
            "data_summary",
            "har.data.cli:main",
            "print a dataset's summary: windows per split and class, then a report per session "
            "(rate found, duration, gaps, labels, split); writes nothing but the window cache.",
            (
                "data.channels",
                "data.window_s",
                "data.hop_s",
                "data.split.test_subjects",
                "data.split.val_subjects",
                "sessions",
            ),
            (
                "har-data data=hapt",
                "har-data data=csv data.source.path=my_data",
                "har-data --config-dir my_conf data=phone   # my_conf/data/phone.yaml: your device's columns and units",
            ),
        ),
        Command(
            "har-synth",
            "synth_report",
            "har.synth.cli:report",
            "train (or load from the cache) the conditional VAE of a data config and print its "
            "quality report (TSTR, discriminative score, channel statistics).",
            ("synth.seed", "synth.fit.epochs", "synth.model.latent_dim"),
            ("har-synth data=hapt synth.fit.epochs=120",),
        ),
        Command(
            "har-augment-preview",
            "augment_preview",
            "har.augment.preview:main",
            "plot one train window before and after each augmentation step, as a PNG (and a W&B image).",
            ("index", "seed"),
            ("har-augment-preview augment=um2017 index=30",),
        ),
    )
}


def run(name: str, argv: Sequence[str] | None = None) -> int:
    """Run command `name` with `argv` (default: the process's arguments); return its exit code."""
    command = COMMANDS[name]
    args = list(sys.argv[1:] if argv is None else argv)
    state: dict[str, DictConfig] = {}

    def work() -> None:
        flags, overrides, folders = _split(args)
        if folders and not command.config_dirs:
            raise ConfigError(
                f"--config-dir {folders[0]}: {name} composes its trials' or cells' train configs from "
                "conf/ alone, so configs of your own would not reach them"
            )
        if "--help" in flags or "-h" in flags:
            from har.cli_help import help_text

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
        check_required(cfg)
        check_experiment(cfg, name)
        if command.check:
            command.check(cfg)
        if flags:
            print(OmegaConf.to_yaml(cfg), end="")
            return
        module, _, function = command.run.partition(":")
        getattr(importlib.import_module(module), function)(cfg)

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
