"""No pickle of user data, `_target_`s only from har, and secrets never written to disk."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

import har
from har.config import ConfigError, instantiate

pytestmark = pytest.mark.faults

HAR = Path(har.__file__).parent
# The restricted, sha256-checked unpicklers of the two package files (tested in
# tests/data/test_package_files.py: another hash is refused, a pickle naming another
# class is refused) are the only place allowed to unpickle.
ALLOWED = {HAR / "data" / "_package_files.py"}
UNSAFE = re.compile(r"allow_pickle\s*=\s*True|pickle\.loads?\(|\bUnpickler\b|import (c?pickle|dill|joblib)")


def test_no_unpickling_outside_the_package_file_readers():
    offenders = [
        f"{path.relative_to(HAR.parent)}:{number}: {line.strip()}"
        for path in sorted(HAR.rglob("*.py"))
        if path not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if UNSAFE.search(line)
    ]
    assert offenders == []
    assert UNSAFE.search((HAR / "data" / "_package_files.py").read_text())  # the pattern does match


@pytest.mark.parametrize(
    "target",
    ["os.system", "builtins.eval", "harmful.run", "har.os.system", "har.config.hydra_compose", "har.np.load"],
)
def test_targets_resolve_only_to_code_defined_in_har(target):
    with pytest.raises(ConfigError, match=re.escape(repr(target))):
        instantiate(OmegaConf.create({"nested": [{"_target_": target, "_args_": ["true"]}]}), "x")


@pytest.mark.slow
def test_the_wandb_api_key_is_never_written(tmp_path, compose_train, monkeypatch):
    from har.training.run import train

    secret = "sk-har-fault-suite-0123456789abcdef"
    monkeypatch.setenv("WANDB_API_KEY", secret)
    train(
        compose_train(
            "logger=wandb",
            "trainer.epochs=1",
            "data.train_fraction=0.1",
            "model.build.width=8",
            "model.build.dense_units=16",
        )
    )
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".wandb" for p in written)  # the W&B run was written, offline
    leaks = [str(p) for p in written if secret.encode() in p.read_bytes()]
    assert leaks == []
    assert os.environ["WANDB_API_KEY"] == secret  # it was there all along
