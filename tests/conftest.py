"""Shared fixtures: every output under tmp_path, TensorFlow quiet, W&B offline."""

from __future__ import annotations

import os

import har

# What every har entry point sets (import har sets nothing): TensorFlow quiet, Keras and
# matplotlib writing under the temporary folder, not ~.
har.configure_process()
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from har.config import compose  # noqa: E402


@pytest.fixture(scope="session")
def tiny_vae() -> list[str]:
    """Overrides for a VAE that trains in seconds (two epochs, narrow, one reference epoch)."""
    return ["synth.fit.epochs=2", "synth.quality.epochs=1", "synth.model.widths=[8,16]"]


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    """One cache of windowed arrays for the whole session (tests of the cache use their own)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def compose_train(tmp_path, session_cache):
    """Compose `train.yaml` with outputs under tmp_path and the shared window cache."""

    def _compose(*overrides: str, config_name: str = "train"):
        return compose(
            config_name,
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'run'}",
                f"paths.cache_dir={session_cache}",
                *overrides,
            ],
        )

    return _compose


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, session_cache) -> Path:
    """One small model trained on watch (2 epochs, a quarter of train), shared by export tests."""
    from har.training.run import train

    run_dir = tmp_path_factory.mktemp("trained") / "run"
    cfg = compose(
        "train",
        [
            f"paths.root={run_dir.parent}",
            f"paths.output_dir={run_dir}",
            f"paths.cache_dir={session_cache}",
            "logger=none",
            "trainer.epochs=3",
            "data.train_fraction=0.25",
            "model.build.width=16",
            "model.build.dense_units=32",
        ],
    )
    train(cfg)
    return run_dir


@pytest.fixture(scope="session")
def strikes_bundle(tmp_path_factory, session_cache) -> Path:
    """A small model trained on strikes_sim and exported: what the tracker tests stream through."""
    from har.export.exporter import export
    from har.training.run import train

    root = tmp_path_factory.mktemp("strikes")
    common = [f"paths.root={root}", "logger=none"]
    train(
        compose(
            "train",
            [
                *common,
                f"paths.cache_dir={session_cache}",
                f"paths.output_dir={root / 'run'}",
                "data=strikes_sim",
                "data.windows.kind=movements",  # so the bundle carries a fitted detector
                "data.windows.idle_class=true",
                "trainer.epochs=10",  # the movement tests need strikes told apart (val macro-F1 ~0.9)
                "model.build.width=16",
                "model.build.depth=2",
                "model.build.dense_units=32",
            ],
        )
    )
    result = export(
        compose(
            "export",
            [
                *common,
                f"run_dir={root / 'run'}",
                f"paths.output_dir={root / 'export'}",
                "variants=[float32,float16]",
                "latency.invocations=50",
                "latency.warmup=5",
                "guard.max_accuracy_drop=100",
            ],
        )
    )
    return result.bundle


@pytest.fixture(scope="session")
def cross_validated_run(tmp_path_factory):
    """One small cross-validated run (3 folds + refit on watch, 2 epochs, a fifth of train),
    with every evaluation it made: (TrainResult, [(folder name, splits)], cfg)."""
    import har.training.run
    from har.training.run import train

    calls = []
    evaluate = har.training.run.evaluate

    def counted(checkpoint, data, splits, out_dir, logger, tag=""):
        calls.append((Path(checkpoint).parent.name, tuple(splits)))
        return evaluate(checkpoint, data, splits, out_dir, logger, tag)

    root = tmp_path_factory.mktemp("cv")
    cfg = compose(
        "train",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / 'run'}",
            f"paths.cache_dir={tmp_path_factory.mktemp('cv-cache')}",
            "validation=subject_kfold",
            "data.train_fraction=0.2",
            "trainer.epochs=2",
            "trainer.batch_size=32",
            "model.build.width=8",
            "model.build.dense_units=16",
            "logger=none",
        ],
    )
    har.training.run.evaluate = counted  # counts, then evaluates as usual
    try:
        result = train(cfg)
    finally:
        har.training.run.evaluate = evaluate
    return result, calls, cfg


# Sweep trials in tests: a tenth of watch's train windows, two epochs, no early stopping, no W&B.
TINY_TRAIN = '["trainer.epochs=2","data.train_fraction=0.1","trainer.patience=0","logger=none"]'


@pytest.fixture
def compose_sweep(tmp_path, session_cache):
    """Compose `sweep.yaml`: one worker, the tiny search space, tiny trials, no export, no W&B."""

    def _compose(*overrides: str):
        return compose(
            "sweep",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'sweep'}",
                f"paths.cache_dir={session_cache}",
                "logger=none",
                "sweep.export=false",
                "sweep.workers=1",
                "sweep.search_space=tiny",
                f"sweep.train_overrides={TINY_TRAIN}",
                *overrides,
            ],
        )

    return _compose


@pytest.fixture
def postgres_url() -> str:
    """A PostgreSQL URL that answers (`HAR_TEST_POSTGRES_URL`, else the local default).

    Without a server the test is skipped on a developer's machine, but it fails in CI
    (`CI=true`) or when `HAR_TEST_POSTGRES_URL` names a server: there, a missing server is a
    broken setup, not a reason to pass without testing.
    """
    configured = os.environ.get("HAR_TEST_POSTGRES_URL")
    url = configured or "postgresql+psycopg2://har:har@127.0.0.1:5432/har"
    try:
        import sqlalchemy

        with sqlalchemy.create_engine(url).connect():
            return url
    except Exception as error:
        where = f"{url.split('@')[-1]} ({type(error).__name__})"
        if configured or os.environ.get("CI") == "true":
            pytest.fail(
                f"PostgreSQL at {where} cannot be reached, and "
                f"{'HAR_TEST_POSTGRES_URL is set' if configured else 'CI=true'}: start the server (.ci/run does)",
                pytrace=False,
            )
        pytest.skip(f"no PostgreSQL server at {where}; .ci/run starts one")


# What `nvidia-smi --query-gpu=index,uuid,memory.total --format=csv,noheader,nounits` prints.
FAKE_NVIDIA_SMI = """#!/bin/sh
# A stand-in for nvidia-smi on a machine with {count} GPUs of {memory} MiB (tests only).
case "$*" in
  *--query-gpu=index,uuid,memory.total*) printf '{rows}' ;;
  *) echo "fake nvidia-smi: unsupported arguments: $*" >&2; exit 2 ;;
esac
"""


@pytest.fixture
def fake_nvidia_smi(tmp_path, monkeypatch):
    """Put a fake `nvidia-smi` listing `count` GPUs first on PATH (for this test and its children)."""

    def _install(count: int = 4, memory_mib: int = 81559) -> Path:
        folder = tmp_path / "fake-bin"
        folder.mkdir(exist_ok=True)
        rows = "".join(f"{i}, GPU-{i:08d}-0000-0000-0000-000000000000, {memory_mib}\\n" for i in range(count))
        script = folder / "nvidia-smi"
        script.write_text(FAKE_NVIDIA_SMI.format(count=count, memory=memory_mib, rows=rows))
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        return script

    return _install
