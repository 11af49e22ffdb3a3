"""Entry points as a user runs them: --help, the mistakes users make, the console scripts.

Most cases run a command in this process (`har.cli.run`, what every console script calls);
a few start the installed scripts as subprocesses, as a user does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from har.cli import COMMANDS, run
from har.config import compose_run
from har.sweep.storage import make_storage

SCRIPTS = Path(sys.executable).parent  # the console scripts installed next to this Python


def _run(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [str(SCRIPTS / script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_har_data_prints_the_summary(tmp_path, session_cache):
    result = _run("har-data", f"paths.cache_dir={session_cache}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "140 recordings, 10 subjects, 7 classes" in result.stdout
    assert "9 10" in result.stdout
    assert not any(tmp_path.iterdir())  # a summary writes nothing where it runs


def test_har_data_bad_value_is_one_clear_line(tmp_path, session_cache):
    result = _run(
        "har-data", f"paths.cache_dir={session_cache}", "data.split.test_subjects=[99]", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: data.split.test_subjects: subject(s) 99 not in the data (subjects: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)"
    )


def test_har_train_typo_is_one_line_without_tensorflow(tmp_path):
    """The installed script refuses a misspelt key before TensorFlow loads and before any folder."""
    result = _run("har-train", f"paths.root={tmp_path / 'out'}", "trainer.epoch=3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: trainer.epoch=3: no such key; did you mean trainer.epochs?\n"
    assert not any(tmp_path.iterdir())
    probe = "import sys; from har.cli import run; code = run('har-train', {}); print(code, 'tensorflow' in sys.modules)"
    for argv in (["--help"], ["trainer.epoch=3"]):
        check = subprocess.run(
            [sys.executable, "-c", probe.format(argv)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.stdout.splitlines()[-1] == f"{0 if argv == ['--help'] else 2} False", check.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_says_what_the_command_does(name, capsys):
    command = COMMANDS[name]
    assert run(name, ["--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{name}: {command.about}")
    assert "powered by Hydra" not in text
    for option in command.options:
        assert f"\n  {option}=" in text, option
    assert "examples:\n" in text and all(example in text for example in command.examples)


def test_help_lists_this_commands_groups_only(capsys):
    run("har-train", ["--help"])
    text = capsys.readouterr().out
    assert "  model=cnn " in text and "cnn | deepconvlstm | dscnn | inception1d | minirocket | resnet1d | stats_mlp" in text
    assert "stream=" not in text and "search_space=" not in text
    assert "# epochs without a better val/macro_f1 before stopping" in text  # the conf/ comment
    run("har-sweep", ["--help"])
    text = capsys.readouterr().out
    assert (
        "  search_space=architectures " in text
        and "architectures | cnns | tiny | with_synth, or a .yaml path" in text
    )
    assert "+experiment=<name>" in text and "sweep_hapt | sweep_watch" in text


def _space_with_a_typo(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "space.yaml"
    path.write_text(
        "params:\n  model: {type: categorical, choices: [cnn, dscnn]}\n"
        "  model.build.widht: {type: categorical, choices: [8, 16], when: {model: cnn}}\n"
    )
    return path


def _journal(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    journal = folder / "journal.log"
    optuna.create_study(study_name="watch-default", storage=make_storage(None, journal))
    return journal


# (command, arguments, the line's expected text); {inputs} is a folder of prepared files.
MISTAKES = {
    "sweep: a typo in train_overrides": (
        "har-sweep",
        ['sweep.train_overrides=["trainer.epoch=3"]'],
        "error: sweep.train_overrides: trainer.epoch=3: no such key; did you mean trainer.epochs?",
    ),
    "sweep: a typo in a search space file": (
        "har-sweep",
        ["sweep.search_space={space}"],
        "model.build.widht=8: no such key; did you mean model.build.width?",
    ),
    "sweep: train_overrides set a sampled key": (
        "har-sweep",
        ['sweep.train_overrides=["augment=light"]'],
        "sweep.train_overrides: augment=light sets a key that search_space=architectures samples",
    ),
    "sweep: a test objective": (
        "har-sweep",
        ["sweep.objectives=[test/macro_f1]"],
        "error: sweep.objectives: test/macro_f1 would choose on the test split, which never chooses "
        "anything; use val/macro_f1",
    ),
    "sweep: objectives and directions differ": (
        "har-sweep",
        ["sweep.objectives=[val/macro_f1,model/params]"],
        "sweep.objectives (2) and sweep.directions (1) differ in length",
    ),
    "sweep: unknown search space": (
        "har-sweep",
        ["search_space=tyny"],
        "sweep.search_space='tyny': no such search space",
    ),
    "train: unknown key": ("har-train", ["trainer.epoch=3"], "did you mean trainer.epochs?"),
    "train: unknown key with +": (
        "har-train",
        ["+trainer.epoch=3"],
        "error: +trainer.epoch=3: no such key, and + would add one that nothing reads; did you mean trainer.epochs=3?",
    ),
    "train: +search_space": ("har-train", ["+search_space=tiny"], "train.yaml does not use search_space"),
    "track: no bundle": (
        "har-track",
        [],
        "error: bundle: required; give it on the command line (bundle=<value>)",
    ),
    "track: an unknown decoder": (
        "har-track",
        ["bundle=b", "decoder=viterbii"],
        "error: decoder=viterbii: no such option; did you mean decoder=viterbi?",
    ),
    "track: a typo in a recording's data overrides": (
        "har-track",
        ["bundle=b", "stream=recording", 'stream.overrides=["data.source.include_transition=true"]'],
        "error: stream.overrides: data.source.include_transition=true: no such key; did you mean "
        "data.source.include_transitions?",
    ),
    "track: a recording of an unknown dataset": (
        "har-track",
        ["bundle=b", "stream=recording", "stream.data=happ"],
        "error: stream.data=happ: no such dataset; did you mean stream.data=hapt?",
    ),
    "sweep: a refit typo": (
        "har-sweep",
        ["sweep.refit=bst"],
        "error: sweep.refit=bst: must be best or every",
    ),
    "data: csv without a path": ("har-data", ["data=csv"], "error: data.source.path: required"),
    "train: a config folder that does not exist": (
        "har-train",
        ["--config-dir", "nowhere"],
        "error: --config-dir nowhere: no such folder",
    ),
    "sweep: a misspelt data short form": (
        "har-sweep",
        ["data=wtch"],
        "error: data=wtch: no such option; did you mean data=watch?",
    ),
    "ablate: a level that needs a generator the cells lack": (
        "har-ablate",
        ["factors={synth.ratio:[0,0.5]}", "seeds=[0]"],
        "error: factors (synth.ratio=0.5): synth.ratio=0.5 needs a generator: use synth=cvae",
    ),
    "ablate: no factors": ("har-ablate", [], "error: factors: required"),
    "ablate: a typo in a factor": (
        "har-ablate",
        ["factors={augmnt:[none,light]}"],
        "error: factors (augmnt=none): augmnt=none: no such key; did you mean augment?",
    ),
    "ablate: a factor also in overrides": (
        "har-ablate",
        ["factors={augment:[none,light]}", 'overrides=["augment=strong"]'],
        "error: overrides: augment=strong sets factor augment; drop one of them",
    ),
    "augment-preview: an index past train": (
        "har-augment-preview",
        ["index=99999", "logger=none", "paths.cache_dir={cache}"],
        "error: index=99999: train has ",
    ),
    "export: run_dir and study": (
        "har-export",
        ["run_dir=some/run", "study=watch-default"],
        "error: run_dir=some/run and study=watch-default: give one of them, not both",
    ),
    "export: a study without storage": (
        "har-export",
        ["study=watch-default"],
        "error: study=watch-default: give storage=<the sweep's journal.log, or its database URL> too",
    ),
    "export: a storage that does not exist": (
        "har-export",
        ["study=watch-default", "storage=nowhere/journal.log"],
        "error: storage=nowhere/journal.log: no such journal file",
    ),
    "export: a mistyped study": (
        "har-export",
        ["study=watch-defualt", "storage={journal}"],
        "no such study in {journal}; did you mean study=watch-default? (studies there: watch-default)",
    ),
}


def _fill(text: str, files: dict[str, str]) -> str:
    for name, path in files.items():
        text = text.replace(f"{{{name}}}", path)
    return text


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capfd, monkeypatch, session_cache):
    command, args, expected = MISTAKES[case]
    inputs = tmp_path / "inputs"
    files = {"space": "", "journal": "", "cache": str(session_cache)}
    if "{space}" in " ".join(args):
        files["space"] = str(_space_with_a_typo(inputs))
    if "{journal}" in " ".join(args) + expected:
        files["journal"] = str(_journal(inputs))
    before = sorted(inputs.rglob("*")) if inputs.exists() else []
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # nothing may land in the current folder either (no journal.log)
    capfd.readouterr()
    code = run(command, [f"paths.root={work / 'outputs'}", *[_fill(a, files) for a in args]])
    stderr = capfd.readouterr().err
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("error: ") and "Traceback" not in stderr
    assert _fill(expected, files) in stderr
    assert not any(work.iterdir()) and (sorted(inputs.rglob("*")) if inputs.exists() else []) == before


def test_a_config_folder_of_ones_own_adds_options(tmp_path, capfd):
    data = tmp_path / "my_conf" / "data"
    data.mkdir(parents=True)
    (data / "phone.yaml").write_text("defaults: [watch, _self_]\nname: phone\nwindow_s: 1.0\n")
    folder = str(tmp_path / "my_conf")
    capfd.readouterr()
    assert run("har-train", ["--config-dir", folder, "data=phone", "--cfg"]) == 0
    printed = capfd.readouterr().out
    assert "name: phone" in printed and "window_s: 1.0" in printed and "WatchSource" in printed
    cfg = compose_run("train", ["data=phone", "model=dscnn", f"paths.root={tmp_path}"], config_dirs=[folder])
    assert Path(cfg.paths.output_dir).name.endswith("_dscnn_phone")
    assert run("har-train", [f"--config-dir={folder}", "data=phon"]) == 2
    assert "data=phon: no such option; did you mean data=phone?" in capfd.readouterr().err
    assert run("har-train", ["--config-dir", folder, "--help"]) == 0
    assert "csv | hapt | metamotion | phone | sensor_logger | strikes_sim | watch" in capfd.readouterr().out
    assert run("har-train", ["data=phone"]) == 2  # without the folder there is no such option
    assert not (tmp_path / "outputs").exists()


def test_search_space_is_a_group_and_objective_a_dotted_name():
    cfg = compose_run("sweep", ["search_space=tiny", "sweep.objective=har.sweep.objective.dry_run"])
    assert cfg.sweep.search_space == "tiny" and cfg.sweep.objective == "har.sweep.objective.dry_run"
    assert compose_run("sweep", ["+search_space=architectures"]).sweep.search_space == "architectures"


@pytest.mark.slow  # starts worker processes
def test_the_readmes_dry_run_sweep_ends_cleanly_without_an_export(tmp_path):
    """`har-sweep sweep.objective=dry_run` on defaults: trials told, summary, no model to export."""
    result = _run(
        "har-sweep", f"paths.root={tmp_path}", "sweep.objective=dry_run", "sweep.n_trials=3", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no export: trial " in result.stdout and "trained no model" in result.stdout
    sweep_dir = tmp_path / "sweeps" / "watch-default"
    assert len((sweep_dir / "trials.csv").read_text().splitlines()) == 1 + 3
    assert not (sweep_dir / "export").exists()


def test_run_folders_carry_the_model_and_the_study():
    cfg = compose_run("train", ["data=hapt", "model=dscnn", "paths.root=/x"])
    assert Path(cfg.paths.output_dir).parent == Path("/x/runs")
    assert Path(cfg.paths.output_dir).name.endswith("_dscnn_hapt")
    assert compose_run("sweep", ["sweep.study=mine", "paths.root=/x"]).paths.output_dir == "/x/sweeps/mine"


@pytest.mark.slow
def test_har_track_refuses_a_bundle_that_does_not_fit_the_stream(strikes_bundle, tmp_path, capfd):
    cases = {
        "stream=recording stream.data=watch stream.subject=9": "is labelled ",
        "stream=sim stream.rate_hz=100": "the model was trained at 50 Hz; the stream",
        "stream=sim stream.session_s=0.5": "the model's window is 50 samples; the stream",
        "stream=stdin stream.channels=[ax,ay,az]": "stdin: the model needs channel(s) gx, gy, gz, the stream "
        "has ax ay az",
        "stream=stdin stream.rate_hz=100": "the model was trained at 50 Hz; the stream stdin is at 100 Hz",
    }
    for args, expected in cases.items():
        capfd.readouterr()
        code = run("har-track", [f"bundle={strikes_bundle}", f"paths.root={tmp_path}", *args.split()])
        stderr = capfd.readouterr().err
        assert code == 2 and expected in stderr and len(stderr.splitlines()) == 1, stderr
    assert "which the model does not know (its classes: idle, jab," in _last_refusal(
        strikes_bundle, tmp_path, capfd
    )
    assert not any(tmp_path.iterdir())


def _last_refusal(bundle: Path, root: Path, capfd) -> str:
    capfd.readouterr()
    run("har-track", [f"bundle={bundle}", f"paths.root={root}", "stream=recording", "stream.data=watch"])
    return capfd.readouterr().err
