"""Every `conf/experiment/*.yaml` composes with its command's config and runs on tiny data.

An experiment is a `# @package _global_` delta for one entry point, named in its header
(`# har-sweep +experiment=sweep_watch`) and under `experiment.command`. The smoke runs keep
the experiment's own settings (search space, data, factors, variants) and shrink only the
budget: one trial, the first two values of each factor and one seed, one or two epochs on a
tenth of the train windows, 2 subject folds where they cross-validate, a few latency calls.

A `<study>_hapt` experiment that is its `<study>_watch` twin with `data=hapt` (and its own
names and trial counts) is checked to be exactly that, and its tiny run is its twin's: hapt
runs end to end once, through `sweep_hapt`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from har.config import CONF_DIR, ConfigError, compose, override_key

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
TINY_TRAIN = ["trainer.epochs=2", "data.train_fraction=0.1", "trainer.patience=0"]
PRIMARY = {"har-train": "train", "har-sweep": "sweep", "har-ablate": "ablate", "har-export": "export"}
TWINS = [n for n in EXPERIMENTS if n.endswith("_hapt") and n.removesuffix("_hapt") + "_watch" in EXPERIMENTS]
HAPT_RUN = "sweep_hapt"  # the one hapt twin run on tiny data (the cheapest)
TWIN_MAY_DIFFER = {"experiment.name", "experiment.version", "name", "sweep.study", "sweep.n_trials"}
TWIN_MAY_DIFFER |= {"sweep.sampler.n_startup_trials"}  # budgets and names, not what runs


def _command(name: str) -> str:
    return OmegaConf.load(CONF_DIR / "experiment" / f"{name}.yaml").experiment.command


def _compose(name: str, tmp_path: Path, *overrides: str) -> DictConfig:
    return compose(
        PRIMARY[_command(name)],
        [f"+experiment={name}", f"paths.root={tmp_path}", f"paths.output_dir={tmp_path / 'out'}", *overrides],
    )


def test_there_are_experiments():
    assert {"sweep_watch", "sweep_hapt", "ablation_augment", "ablation_vae_ratio", "quantization"} <= set(
        EXPERIMENTS
    )


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_header_and_metadata_name_the_command(name):
    lines = (CONF_DIR / "experiment" / f"{name}.yaml").read_text().splitlines()
    command = _command(name)
    assert lines[0] == "# @package _global_"
    assert lines[1].startswith(f"# {command} +experiment={name}"), lines[1]
    cfg = compose(PRIMARY[command], [f"+experiment={name}", "paths.output_dir=unused"])
    assert cfg.experiment.name == name and isinstance(cfg.experiment.version, int)


@pytest.mark.parametrize("command", sorted(PRIMARY))
def test_an_experiment_for_another_command_is_refused(command, tmp_path):
    from har.ablate.run import run_ablation
    from har.export.exporter import export
    from har.sweep.driver import run_sweep
    from har.training.run import train

    entry = {"har-train": train, "har-sweep": run_sweep, "har-ablate": run_ablation, "har-export": export}
    other = next(n for n in EXPERIMENTS if _command(n) != command)
    cfg = compose(PRIMARY[command], [f"+experiment={other}", f"paths.output_dir={tmp_path}"])
    with pytest.raises(ConfigError, match=f"is run with `{_command(other)}`, not `{command}`"):
        entry[command](cfg)
    assert not any(tmp_path.iterdir())  # refused before writing anything


def _flat(node: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in node.items():
        flat.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return flat


@pytest.mark.parametrize("name", TWINS)
def test_a_hapt_twin_is_its_watch_twin_with_data_hapt(name):
    watch = name.removesuffix("_hapt") + "_watch"
    assert _command(name) == _command(watch)
    hapt, other = (
        _flat(
            OmegaConf.to_container(compose(PRIMARY[_command(n)], [f"+experiment={n}", "paths.output_dir=x"]))
        )
        for n in (name, watch)
    )
    differ = {key for key in hapt.keys() | other.keys() if hapt.get(key) != other.get(key)} - TWIN_MAY_DIFFER
    overrides = {"sweep.train_overrides", "overrides"} & differ
    assert len(overrides) == 1 and differ == overrides, differ
    (key,) = overrides
    assert [o for o in hapt[key] if o != "data=hapt"] == other[key] and "data=hapt" in hapt[key]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n not in TWINS or n == HAPT_RUN])
def test_experiment_runs_on_tiny_data(name, tmp_path, session_cache, request):
    command = _command(name)
    if command == "har-sweep":
        from har.sweep.driver import run_sweep

        cfg = _compose(
            name,
            tmp_path,
            "logger=none",
            f"paths.cache_dir={session_cache}",
            "sweep.n_trials=1",
            "sweep.workers=1",
            "sweep.export=false",
        )
        folds = ["validation.k=2"] if "validation=subject_kfold" in cfg.sweep.train_overrides else []
        budget = [*TINY_TRAIN, *folds]
        cfg.sweep.train_overrides = [*cfg.sweep.train_overrides, *budget]  # keep data=..., add budget
        result = run_sweep(cfg)
        assert result.study.study_name == cfg.sweep.study and len(result.study.trials) == 1
        assert (result.sweep_dir / "trials.csv").is_file()
    elif command == "har-ablate":
        from har.ablate.run import run_ablation

        cfg = _compose(name, tmp_path, f"paths.cache_dir={session_cache}")
        # the first value of every factor but the last, the first two of the last
        *others, last = cfg.factors
        cfg.factors = {
            **{key: list(cfg.factors[key])[:1] for key in others},
            last: list(cfg.factors[last])[:2],
        }
        cfg.seeds = list(cfg.seeds)[:1]
        tiny = [o for o in TINY_TRAIN if override_key(o) not in cfg.factors]  # a factor is not overridden
        folds = [] if cfg.validation == "holdout" else ["validation.k=2"]
        cfg.overrides = [*cfg.overrides, *tiny, *folds, "trainer.epochs=1", "logger=none"]
        if "synth=cvae" in cfg.overrides:
            cfg.overrides += [*request.getfixturevalue("tiny_vae"), f"synth.cache_dir={tmp_path / 'vae'}"]
        root = run_ablation(cfg)
        cells = 1
        for values in cfg.factors.values():
            cells *= len(values)
        assert len((root / "summary.csv").read_text().splitlines()) == 1 + cells
    elif command == "har-export":
        from har.export.exporter import export

        cfg = _compose(
            name,
            tmp_path,
            "logger=none",
            f"run_dir={request.getfixturevalue('trained_run')}",
            "latency.invocations=20",
            "latency.warmup=2",
            "representative_windows=16",
            "throughput_batch=32",
            "guard.max_accuracy_drop=100",  # a 3-epoch model: the guard is tested elsewhere
        )
        bundle = export(cfg).bundle
        reports = json.loads((bundle / "comparison.json").read_text())["reports"]
        assert [r["name"] for r in reports] == ["keras", *cfg.variants]
    else:
        from har.training.run import train

        cfg = _compose(name, tmp_path, "logger=none", f"paths.cache_dir={session_cache}", *TINY_TRAIN)
        assert "test/macro_f1" in train(cfg).metrics
