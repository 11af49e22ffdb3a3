"""The `har-*` commands: for each, its config, the function it runs, its --help text and the
conflicts it checks before any work (`har.cli.run` does the rest).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from har.config import ConfigError, check_override_sets, group_options, train_problems, vae_problems


@dataclass(frozen=True)
class Command:
    """One console script: its config, the function it runs, and what --help says."""

    name: str
    config: str  # conf/<config>.yaml
    run: Callable[[DictConfig], Any]  # called with the checked config; imports its package then
    about: str
    options: tuple[str, ...] = ()  # the main options --help lists, with their conf/ comments
    examples: tuple[str, ...] = ()
    check: Callable[[DictConfig], None] | None = None  # the command's own conflicts
    # `--config-dir`: True where the work composes more configs later (a sweep's trials, an
    # ablation's cells): the folders are handed on as `cfg.config_dirs`, and stored with the work
    stores_config_dirs: bool = False


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
        from har.sweep import check_study_exists

        check_study_exists(str(cfg.storage), str(cfg.study))


def export(cfg: DictConfig) -> None:
    """`har-export`: a run folder, or a study's best trial, resolved to its run folder here.

    The export package reads run folders only; the sweep package, which owns Optuna, finds
    the study's run, so `har.export` never imports `har.sweep`.
    """
    from har.export import export as export_run

    if cfg.study is not None:
        from har.sweep import with_best_run_dir

        cfg = with_best_run_dir(cfg)
    export_run(cfg)


def _check_train(cfg: DictConfig) -> None:
    """What training would find only later (a ratio without a generator); warnings on stderr."""
    for line in train_problems(cfg):
        print(line, file=sys.stderr, flush=True)


def _check_synth(cfg: DictConfig) -> None:
    """Warnings for VAE settings that cannot take effect (fewer epochs than the KL warm-up)."""
    for line in vae_problems(cfg.synth):
        print(line, file=sys.stderr, flush=True)


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


# What each command runs, imported only once its config has passed the checks (the imports
# load TensorFlow, Optuna or W&B: seconds that a typo should not cost).


def _train(cfg: DictConfig) -> Any:
    from har.training import train

    return train(cfg)


def _sweep(cfg: DictConfig) -> Any:
    from har.sweep import sweep_command

    return sweep_command(cfg)


def _track(cfg: DictConfig) -> Any:
    from har.stream import track

    return track(cfg)


def _ablate(cfg: DictConfig) -> Any:
    from har.ablate import run_ablation

    return run_ablation(cfg)


def _data_summary(cfg: DictConfig) -> Any:
    from har.data import print_summary

    return print_summary(cfg)


def _synth_report(cfg: DictConfig) -> Any:
    from har.synth import report

    return report(cfg)


def _augment_preview(cfg: DictConfig) -> Any:
    from har.augment import preview_augmentation

    return preview_augmentation(cfg)


COMMANDS = {
    command.name: command
    for command in (
        Command(
            "har-train",
            "train",
            _train,
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
            _check_train,
        ),
        Command(
            "har-sweep",
            "sweep",
            _sweep,
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
                "har-sweep --config-dir my_conf data=phone search_space=tiny   # my_conf/data/phone.yaml, kept in the study",
            ),
            stores_config_dirs=True,
        ),
        Command(
            "har-export",
            "export",
            export,
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
            _track,
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
            _ablate,
            "train every cell of a grid of factors x seeds; report each cell's mean, std and 95% "
            "interval, and plot them.",
            ("name", "factors", "seeds", "overrides"),
            (
                "har-ablate name=augmentation 'factors={augment:[none,light,strong,um2017]}' 'seeds=[0,1,2]'",
                "har-ablate --config-dir my_conf data=phone 'factors={augment:[none,light]}'   # kept in the ablation folder",
            ),
            stores_config_dirs=True,
        ),
        Command(
            "har-data",
            "data_summary",
            _data_summary,
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
            _synth_report,
            "train (or load from the cache) the conditional VAE of a data config and print its "
            "quality report (TSTR, discriminative score, channel statistics).",
            ("synth.seed", "synth.fit.epochs", "synth.model.latent_dim"),
            ("har-synth data=hapt synth.fit.epochs=120",),
            _check_synth,
        ),
        Command(
            "har-augment-preview",
            "augment_preview",
            _augment_preview,
            "plot one train window before and after each augmentation step, as a PNG (and a W&B image).",
            ("index", "seed"),
            ("har-augment-preview augment=um2017 index=30",),
        ),
    )
}
