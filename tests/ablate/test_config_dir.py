"""`har-ablate --config-dir`: the cells compose from a folder of one's own, whose content is kept
in the ablation folder; a resume reuses the finished cells and refuses a changed folder."""

from __future__ import annotations

import pytest
from omegaconf import open_dict
from recording_helpers import edit_data_config, write_data_config

from har.ablate.run import run_ablation
from har.config import ConfigError, compose
from har.training import RunFolder

# One epoch of a narrow network, holdout, no forest, no W&B.
RUNS = (
    '["trainer.epochs=1","trainer.patience=0","logger=none","baseline=none",'
    '"model.build.depth=2","model.build.width=8","model.build.dense_units=16"]'
)


@pytest.mark.slow
def test_an_ablation_composes_its_cells_from_the_folder_kept_in_its_folder(tmp_path, session_cache, capsys):
    conf = write_data_config(tmp_path)

    def ablation():
        overrides = [
            f"paths.output_dir={tmp_path / 'ablation'}",
            f"paths.cache_dir={session_cache}",
            "name=mine",
            "data=mine",
            "factors={augment:[none,light]}",
            "seeds=[0]",
            "validation=holdout",
            f"overrides={RUNS}",
        ]
        cfg = compose("ablate", overrides, config_dirs=[conf])
        with open_dict(cfg):  # what the command line does with --config-dir
            cfg.config_dirs = [str(conf)]
        return run_ablation(cfg)

    root = ablation()
    runs = sorted((root / "runs").iterdir())
    assert len(runs) == 2 and {str(RunFolder(run).read_config().data.name) for run in runs} == {"mine"}
    assert (root / "config_dir.json").is_file()
    capsys.readouterr()
    ablation()
    assert capsys.readouterr().out.count("done before, reusing") == 2
    edit_data_config(conf)
    with pytest.raises(ConfigError, match=r"--config-dir content differs .*\(data/mine.yaml changed\)"):
        ablation()
    assert sorted((root / "runs").iterdir()) == runs


def test_a_level_that_needs_a_generator_fails_before_any_cell_trains(tmp_path):
    cfg = compose(
        "ablate", [f"paths.output_dir={tmp_path / 'ablation'}", "factors={synth.ratio:[0,0.5]}", "seeds=[0]"]
    )
    with pytest.raises(ConfigError, match=r"factors \(synth.ratio=0.5\): synth.ratio=0.5 needs a generator"):
        run_ablation(cfg)
    assert not (tmp_path / "ablation").exists()
