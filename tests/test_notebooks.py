"""The analysis notebooks: stored without outputs, and each runs on tiny inputs made here.

Each notebook reads its inputs from `HAR_*` environment variables (first code cell), so the
tests point it at a tiny study, ablation or export and execute it with nbclient in a kernel
of this interpreter.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
STORED = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_there_are_the_three_notebooks():
    assert {p.stem for p in STORED} == {"sweep_analysis", "ablation", "quantization"}


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_stored_without_outputs_and_parameters_first(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert 'os.environ.get("HAR_' in code[0].source  # the parameters cell


def _execute(name: str, kernel: str, monkeypatch, **environment: str) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    for key, value in environment.items():
        monkeypatch.setenv(key, value)  # the kernel inherits them when it starts
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        notebook, kernel_name=kernel, timeout=180, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def _outputs(notebook: nbformat.NotebookNode, marker: str, kind: str) -> list:
    """Outputs of type `kind` (e.g. image/png) of the code cells whose source contains `marker`."""
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code" and marker in cell.source
        for output in cell.outputs
        if kind in output.get("data", {})
    ]


def _text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> str:
    """A kernelspec that runs this interpreter (not whatever `python` is first on PATH)."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "har-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "har", "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        # IPython and Jupyter keep profiles and runtime files under ~ unless told otherwise
        patch.setenv("IPYTHONDIR", str(folder / "ipython"))
        patch.setenv("JUPYTER_RUNTIME_DIR", str(folder / "runtime"))
        patch.setenv("JUPYTER_DATA_DIR", str(folder / "data"))
        yield "har-test"


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, session_cache) -> Path:
    """A real 3-trial sweep with two objectives, plus a one-objective copy in the same journal."""
    import optuna

    from har.config import compose
    from har.sweep.driver import run_sweep

    root = tmp_path_factory.mktemp("study")
    cfg = compose(
        "sweep",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / 'sweep'}",
            f"paths.cache_dir={session_cache}",
            "logger=none",
            "sweep.study=tiny",
            "sweep.n_trials=3",
            "sweep.export=false",
            "sweep.workers=1",
            "sweep.search_space=tiny",
            "sweep.objectives=[val/macro_f1,model/params]",
            "sweep.directions=[maximize,minimize]",
            'sweep.train_overrides=["trainer.epochs=1","data.train_fraction=0.1"]',
        ],
    )
    study = run_sweep(cfg).study
    single = optuna.create_study(study_name="tiny-single", storage=study._storage, direction="maximize")
    for trial in study.trials:
        single.add_trial(
            optuna.trial.create_trial(
                state=trial.state,
                values=trial.values[:1] if trial.values else None,
                params=trial.params,
                distributions=trial.distributions,
                user_attrs=trial.user_attrs,
                intermediate_values=trial.intermediate_values,
            )
        )
    return root / "sweep" / "journal.log"


@pytest.mark.slow
@pytest.mark.parametrize("study_name", ["tiny", "tiny-single"])
def test_sweep_analysis(study_name, kernel, tiny_study, monkeypatch):
    notebook = _execute(
        "sweep_analysis",
        kernel,
        monkeypatch,
        HAR_STUDY_STORAGE=str(tiny_study),
        HAR_STUDY_NAME=study_name,
    )
    import optuna

    from har.sweep.best import best_trials
    from har.sweep.storage import make_storage

    objectives = 2 if study_name == "tiny" else 1
    assert len(_outputs(notebook, "plot_optimization_history", "image/png")) >= objectives
    assert len(_outputs(notebook, "plot_parallel_coordinate", "image/png")) == 1
    assert len(_outputs(notebook, "plot_pareto_front", "image/png")) == (1 if objectives == 2 else 0)
    trials = _outputs(notebook, "trials_table", "text/html")
    assert len(trials) == 1 and trials[0]["data"]["text/html"].count("COMPLETE") == 3
    best = _outputs(notebook, "best_trials", "text/html")
    # best_command: the sweep's train overrides first (pandas cuts the rest of the long cell); the
    # one-objective copy was made trial by trial, without the study's remembered settings
    start = "har-train trainer.epochs=1 data.train_fraction" if study_name == "tiny" else "har-train model="
    assert len(best) == 1 and start in best[0]["data"]["text/html"]
    # the final model's test figure is the one trials.csv holds (the refit's, read from its run folder)
    refit = [r for r in csv.DictReader((tiny_study.parent / "trials.csv").open()) if r["test/macro_f1"]]
    best_numbers = {
        t.number
        for t in best_trials(optuna.load_study(study_name=study_name, storage=make_storage(None, tiny_study)))
    }
    for row in refit:
        if int(row["number"]) in best_numbers:
            assert f"{float(row['test/macro_f1']):.6f}" in best[0]["data"]["text/html"]


@pytest.mark.slow
def test_ablation_shows_only_the_given_ablation_and_its_paired_table(
    kernel, tmp_path, session_cache, monkeypatch
):
    """A fresh one-seed ablation, named by a path relative to where Jupyter was started."""
    from har.ablate.run import run_ablation
    from har.config import compose

    root = run_ablation(
        compose(
            "ablate",
            [
                f"paths.output_dir={tmp_path / 'mine'}",
                f"paths.cache_dir={session_cache}",
                "name=mine",
                "factors={augment:[none,light]}",
                "seeds=[0]",
                'overrides=["trainer.epochs=1","data.train_fraction=0.1","model.build.width=8",'
                '"validation.k=2","logger=none"]',
            ],
        )
    )
    notebook = _execute("ablation", kernel, monkeypatch, PWD=str(tmp_path), HAR_ABLATION_DIR="mine")
    text = _text(notebook)
    assert "nan" not in text and "no second ablation to show (not given)" in text
    # every figure of the ablation's own tables (cells and pairs), as its summary.md has them
    rows = [line for line in (root / "summary.md").read_text().splitlines() if line.startswith("| ")]
    assert len(rows) == 5  # the cell table (header, two cells) and the paired table (header, one pair)
    for line in rows:
        for cell in line.strip(" |").split(" | "):
            assert cell.strip() in text, cell
    mine = "show(ABLATION_DIR"
    assert len(_outputs(notebook, mine, "text/html")) == 2  # the cell table and the paired table
    assert "[95%]" in _outputs(notebook, mine, "text/html")[1]["data"]["text/html"]
    assert len(_outputs(notebook, mine, "image/png")) == 2  # cells and pairs
    assert _outputs(notebook, "show(SECOND_DIR", "text/html") == []


@pytest.mark.slow
def test_quantization(kernel, trained_run, tmp_path, monkeypatch):
    from har.config import compose
    from har.export.exporter import export

    export(
        compose(
            "export",
            [
                f"run_dir={trained_run}",
                f"paths.output_dir={tmp_path / 'export'}",
                "logger=none",
                "variants=[float32,float16,int8]",
                "latency.invocations=20",
                "latency.warmup=2",
                "representative_windows=16",
                "throughput_batch=32",
                "guard.max_accuracy_drop=100",
            ],
        )
    )
    notebook = _execute("quantization", kernel, monkeypatch, HAR_EXPORT_DIR=str(tmp_path / "export"))
    assert len(_outputs(notebook, "size / float32", "image/png")) == 1
    assert len(_outputs(notebook, "per_class_f1", "image/png")) == 1
    (side_by_side,) = _outputs(notebook, "size / float32", "text/html")
    assert all(v in side_by_side["data"]["text/html"] for v in ("keras", "float32", "float16", "int8"))
    per_class, deltas = _outputs(notebook, "per_class_f1", "text/html")
    assert "float16 − float32 (points)" in deltas["data"]["text/html"]
