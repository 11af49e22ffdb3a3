"""What the usage lines and short forms promise is what the commands accept."""

from __future__ import annotations

import re

import pytest

from har.cli import run
from har.cli.commands import COMMANDS
from har.cli.help import help_text
from har.config import ConfigError, compose, train_problems


def _usage_flags(name: str, config_dir: str) -> list[str]:
    command = COMMANDS[name]
    text = help_text(name, command.config, about=command.about, config_dirs=[config_dir])
    usage = next(line for line in text.splitlines() if line.startswith("usage:"))
    return re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", usage)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_flag_of_a_usage_line_is_accepted(name, tmp_path, capfd):
    folder = tmp_path / "my_conf"
    folder.mkdir()
    flags = _usage_flags(name, str(folder))
    assert "--config-dir" in flags and "--cfg" in flags
    for flag in flags:
        args = [flag, str(folder)] if flag == "--config-dir" else [flag]
        capfd.readouterr()
        code = run(name, [f"paths.root={tmp_path / 'out'}", *args, "--help"])
        err = capfd.readouterr().err
        assert code == 0 and err == "", (flag, err)
        code = run(name, [f"paths.root={tmp_path / 'out'}", *args, "--cfg"])
        err = capfd.readouterr().err
        # a command may still need a value (`factors`, `run_dir`): but never refuse the flag
        assert code == 0 or ("no such flag" not in err and flag not in err), (flag, err)


def test_data_is_a_short_form_of_the_trials_and_cells_data(tmp_path):
    data = tmp_path / "my_conf" / "data"
    data.mkdir(parents=True)
    (data / "phone.yaml").write_text("defaults: [watch, _self_]\nname: phone\nwindow_s: 1.0\n")
    dirs = [tmp_path / "my_conf"]
    sweep = compose("sweep", ["data=phone", 'sweep.train_overrides=["trainer.epochs=3"]'], config_dirs=dirs)
    assert list(sweep.sweep.train_overrides) == ["data=phone", "trainer.epochs=3"]
    assert sweep.sweep.study == "phone-default"  # named after their data, unless sweep.study= says otherwise
    named = compose("sweep", ["data=phone", "sweep.study=glove"], config_dirs=dirs)
    assert named.sweep.study == "glove"
    ablate = compose("ablate", ["data=hapt", "factors={augment:[none]}"])
    assert list(ablate.overrides) == ["data=hapt"]
    with pytest.raises(
        ConfigError,
        match=r"data=phone: no such option.*\(options: csv, hapt, metamotion, sensor_logger, strikes_sim, watch\)",
    ):
        compose("sweep", ["data=phone"])  # the option is in the folder only
    with pytest.raises(ConfigError, match="both set data; give it once"):
        compose("sweep", ["data=hapt", 'sweep.train_overrides=["data=watch"]'])


def test_a_setting_that_cannot_take_effect_is_a_warning_and_a_missing_generator_an_error():
    warned = train_problems(compose("train", ["synth=cvae", "synth.fit.epochs=5"]))
    assert warned == [
        "warning: synth.fit.epochs=5 is fewer than synth.fit.kl_warmup_epochs=20: the VAE's KL "
        "weight never reaches synth.fit.beta=1.0"
    ]
    assert train_problems(compose("train", ["synth=cvae", "synth.fit.epochs=40"])) == []
    assert train_problems(compose("train", ["synth=cvae", "synth.ratio=0", "synth.fit.epochs=5"])) == []
    with pytest.raises(ConfigError, match="synth.ratio=0.5 needs a generator: use synth=cvae"):
        train_problems(compose("train", ["synth.ratio=0.5"]))


def test_a_config_of_ones_own_that_is_not_yaml_is_one_line_naming_the_file(tmp_path, capfd):
    data = tmp_path / "my_conf" / "data"
    data.mkdir(parents=True)
    (data / "phone.yaml").write_text("defaults: [watch, _self_]\nhop_s: 1.0\nhop_s: 2.0\n")
    capfd.readouterr()
    assert run("har-train", ["--config-dir", str(tmp_path / "my_conf"), "data=phone", "--cfg"]) == 2
    err = capfd.readouterr().err
    assert len(err.splitlines()) == 1 and f"{data / 'phone.yaml'}" in err and "duplicate key hop_s" in err
