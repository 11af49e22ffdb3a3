"""What a study remembers and how a sweep counts: changed settings, config errors, progress, reruns.

The dry-run objective (sampled and told, nothing trained) exercises the storage, the workers
and the driver; the two slow tests train real trials.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf
from optuna.trial import TrialState

from har.cli import run
from har.config import CONF_DIR, ConfigError, compose, to_container
from har.sweep.driver import run_sweep
from har.sweep.progress import Progress
from har.sweep.settings import BEFORE, SETTINGS
from har.sweep.storage import CONFIG_ERROR, RETRIED, make_storage

DRY = ["sweep.objective=dry_run", "sweep.heartbeat.interval=1"]


@pytest.mark.slow  # starts worker processes
def test_a_rerun_with_other_train_overrides_is_refused_unless_allowed(compose_sweep, tmp_path):
    first = run_sweep(compose_sweep(*DRY, "sweep.n_trials=2"))
    sweep_yaml = (first.sweep_dir / "sweep.yaml").read_text()
    changed = 'sweep.train_overrides=["trainer.epochs=3","data.train_fraction=0.1"]'
    with pytest.raises(ConfigError) as refused:
        run_sweep(compose_sweep(*DRY, "sweep.n_trials=3", changed))
    assert str(refused.value).startswith(
        "study watch-default has 2 trial(s) run with other settings: sweep.train_overrides=['trainer.epochs=3', "
        "'data.train_fraction=0.1'] (the study: ['trainer.epochs=2', 'data.train_fraction=0.1', 'trainer.patience=0', 'logger=none'])."
    )
    assert (first.sweep_dir / "sweep.yaml").read_text() == sweep_yaml  # still says what ran
    assert len(first.study.get_trials()) == 2
    wider = tmp_path / "wider.yaml"  # tiny and one more parameter
    wider.write_text(
        (CONF_DIR / "search_space" / "tiny.yaml").read_text()
        + "  trainer.batch_size: {type: categorical, choices: [32, 64]}\n"
    )
    with pytest.raises(ConfigError, match=rf"search_space={wider} \(the study: search_space=tiny\)"):
        run_sweep(compose_sweep(*DRY, "sweep.n_trials=3", f"search_space={wider}"))
    with pytest.raises(ConfigError, match="model is not sampled as in study watch-default"):
        run_sweep(compose_sweep(*DRY, "search_space=architectures", "sweep.allow_changes=true"))
    allowed = run_sweep(compose_sweep(*DRY, "sweep.n_trials=3", changed, "sweep.allow_changes=true")).study
    assert len(allowed.get_trials()) == 3
    assert allowed.user_attrs[SETTINGS]["train_overrides"] == ["trainer.epochs=3", "data.train_fraction=0.1"]
    assert allowed.user_attrs[BEFORE][0]["until_trial"] == 2


def test_a_typo_fails_before_any_file_and_the_fixed_sweep_runs_its_n_trials(tmp_path, capfd):
    common = [f"paths.root={tmp_path}", "logger=none", "sweep.export=false", "search_space=tiny", *DRY]
    assert run("har-sweep", [*common, "sweep.n_trials=3", 'sweep.train_overrides=["trainer.epoch=3"]']) == 2
    assert "did you mean trainer.epochs?" in capfd.readouterr().err and not any(tmp_path.iterdir())
    fixed = 'sweep.train_overrides=["trainer.epochs=3"]'
    assert run("har-sweep", [*common, "sweep.workers=2", "sweep.n_trials=3", fixed]) == 0
    out = capfd.readouterr().out
    study = optuna.load_study(
        study_name="watch-default", storage=make_storage(None, tmp_path / "sweeps/watch-default/journal.log")
    )
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 3
    counters = [line[1:8] for line in out.splitlines() if line.startswith("[")]
    assert counters[0] == "  0/3] " and counters[-1] == "  3/3] "  # from the first second, up to n_trials


def test_progress_never_counts_past_n_trials(tmp_path):
    journal = make_storage(None, tmp_path / "journal.log")
    study = optuna.create_study(study_name="s", storage=journal, direction="maximize")
    storage = study._storage
    for number in range(5):  # 0 retried after its worker died, 1 and 2 refused configs, 3 4 complete
        trial = study.ask()
        if number == 0:
            storage.set_trial_system_attr(trial._trial_id, RETRIED, True)
        if number in (1, 2):
            storage.set_trial_system_attr(trial._trial_id, CONFIG_ERROR, True)
        study.tell(
            trial, 0.5 if number > 2 else None, state=TrialState.COMPLETE if number > 2 else TrialState.FAIL
        )
    lines: list[str] = []
    progress = Progress(
        study, n_trials=3, workers=1, heartbeat_interval=1, heartbeat_grace=60, out=lines.append
    )
    assert lines[0].startswith("[  2/3] done before this run (complete 2, fail 3)")
    study.enqueue_trial({})
    running = study.ask()  # a retry starts...
    progress.update()
    assert lines[-1].endswith("trial   5 started")
    study.tell(running, 0.7)  # ...and finishes: the third and last slot
    extra = study.ask()  # a worker of another machine overshoots by one
    study.tell(extra, 0.1)
    progress.update()
    assert [line[:8] for line in lines[2:]] == ["[  3/3] ", "[  3/3] "]
    assert "best 0.7000" in lines[-1] and "ETA -" in lines[-1]


def test_a_silent_trial_is_named_at_once(tmp_path):
    study = optuna.create_study(study_name="s", storage=make_storage(None, tmp_path / "journal.log"))
    study.ask()  # RUNNING, and its worker is gone: no heartbeat ever comes
    lines: list[str] = []
    progress = Progress(
        study, n_trials=2, workers=1, heartbeat_interval=0.1, heartbeat_grace=60, out=lines.append
    )
    time.sleep(0.5)  # more than 3 heartbeat intervals
    progress.update()
    assert "trial   0 has sent no heartbeat for" in lines[-1] and "retried once 60 s pass" in lines[-1]


@pytest.mark.slow
def test_config_error_trials_take_no_slot_and_a_streak_stops_the_sweep(compose_sweep, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("params:\n  model.build.kernel_size: {type: categorical, choices: [0]}\n")
    with pytest.raises(
        ConfigError, match=r"sweep stopped: the last 2 trials failed on a config error .*kernel_size=0"
    ):
        run_sweep(
            compose_sweep(f"sweep.search_space={space}", "sweep.n_trials=5", "sweep.max_config_errors=2")
        )
    study = optuna.load_study(
        study_name="watch-default", storage=make_storage(None, tmp_path / "sweep/journal.log")
    )
    trials = study.get_trials()
    assert len(trials) == 2 and all(t.system_attrs.get(CONFIG_ERROR) for t in trials)
    space.write_text("params:\n  model.build.kernel_size: {type: categorical, choices: [0, 3]}\n")
    with pytest.raises(ConfigError, match="model.build.kernel_size is not sampled as in study watch-default"):
        run_sweep(compose_sweep(f"sweep.search_space={space}", "sweep.allow_changes=true"))
    study = run_sweep(
        compose_sweep(
            f"sweep.search_space={space}",
            "sweep.study=mixed",
            "sweep.n_trials=2",
            "sweep.sampler._target_=har.sweep.factories.random",
            "~sweep.sampler.n_startup_trials",
            "sweep.sampler.seed=3",  # the worker's draws start 0, 0, 3, 3: two refused before two slots
        )
    ).study
    trials = study.get_trials()
    ran = [t for t in trials if not t.system_attrs.get(CONFIG_ERROR)]
    assert [t.state for t in ran] == [TrialState.COMPLETE] * 2  # the two slots, however many were refused
    assert len(trials) > 2 and all(t.params["model.build.kernel_size"] == 0 for t in trials if t not in ran)


@pytest.mark.slow
def test_best_command_trains_exactly_the_best_trial(compose_sweep):
    cfg = compose_sweep("preset=quick", "sweep.n_trials=1", "sweep.workers=1")
    preset = compose("sweep", ["paths.output_dir=unused"]).sweep.train_overrides  # the quick preset's
    cfg.sweep.train_overrides = [*preset, "trainer.epochs=2", "data.train_fraction=0.1", "trainer.patience=0"]
    result = run_sweep(cfg)
    command = (result.sweep_dir / "best_command.txt").read_text()
    args = shlex.split(command)
    assert args[0] == "har-train" and args[1 : 1 + len(cfg.sweep.train_overrides)] == list(
        cfg.sweep.train_overrides
    )
    run_dir = Path(result.summary["best"][0].user_attrs["run_dir"])
    again = to_container(compose("train", [*args[1:], f"paths.output_dir={run_dir}"]))
    trial = OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml"))
    # the quick preset cross-validates: the best trial was refit in its folder (sweep.refit=best)
    assert (
        trial["logger"].pop("job_type") in ("trial", "refit") and again["logger"].pop("job_type") == "train"
    )
    # a trial's W&B run is named after the study and trial; training it again is a run of its own
    assert (
        trial["logger"].pop("name").startswith("watch-default-trial-") and again["logger"].pop("name") is None
    )
    assert again == trial
    assert command.strip() in (result.sweep_dir / "best_config.yaml").read_text()


def test_progress_shows_each_running_trials_fold_and_epoch_and_an_eta_that_moves(tmp_path):
    from har.sweep.storage import PROGRESS

    study = optuna.create_study(study_name="s", storage=make_storage(None, tmp_path / "journal.log"))
    running = study.ask()
    lines: list[str] = []
    progress = Progress(
        study, n_trials=2, workers=1, heartbeat_interval=60, heartbeat_grace=60, out=lines.append
    )
    time.sleep(0.5)

    def status(done: int, left: int, fold: str = "2/3") -> str:
        state = {"fold": fold, "epoch": f"{done % 50}/50", "done": done, "left": left}
        study._storage.set_trial_system_attr(running._trial_id, PROGRESS, state)
        return progress._status(study.get_trials(deepcopy=False))

    def eta(line: str) -> int:
        minutes, seconds = re.search(r"ETA ~(?:(\d+)m)?(\d+)s", line).groups()
        return int(minutes or 0) * 60 + int(seconds)

    early = status(1, 99)  # 0.5 s an epoch: ~50 s left here, and as long again for the trial to come
    assert "running 1 (trial 0 fold 2/3 epoch 1/50)" in early and eta(early) > 60
    late = status(99, 1, fold="refit")  # the same trial, 99 epochs on, before any trial ended
    assert "running 1 (trial 0 refit epoch 49/50)" in late and eta(late) < 10
