"""Bad input through the commands a user runs: one clear line, exit code 2, no output.

A corpus of broken `csv` folders (generated here) goes through `har-data`, and a corpus of
broken overrides through `har-train`; both commands run in this process (`har.cli.run`, what
the console scripts call) so the corpus stays fast. Each case checks the exit code, that
stderr is a message and not a traceback (one line; for a folder: a count, then one line per
problem), that it names the file or key, and that nothing was written (no cache entry, no
run folder).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from har.cli import run

pytestmark = pytest.mark.faults

HEADER = "t,ax,ay,az,gx,gy,gz,label\n"


def _rows(n: int = 300, value: str = "0,0,1,0,0,0") -> str:
    return "".join(f"{i / 50},{value},walk\n" for i in range(n))


def _with_lines(lines: dict[int, str]) -> str:
    """The good session with some data lines (1-based file line numbers) replaced."""
    rows = (HEADER + _rows()).splitlines()
    for number, text in lines.items():
        rows[number - 1] = text
    return "\n".join(rows) + "\n"


def _sparse(path: Path) -> None:
    with open(path, "wb") as stream:
        stream.truncate(1 << 30)  # 1 GB that takes no space: all NUL bytes


GOOD = HEADER + _rows()
CSV_CORPUS: dict[str, tuple[dict[str, str | bytes | None], str]] = {
    "columns renamed": (
        {"s.csv": GOOD.replace("ax,ay,az", "acc_x,acc_y,acc_z", 1)},
        "missing column(s) ax, ay, az",
    ),
    "no header row": ({"s.csv": _rows()}, "missing column(s) t, ax"),
    "semicolon separated": ({"s.csv": GOOD.replace(",", ";")}, "missing column(s)"),
    "header repeated mid-file": ({"s.csv": _with_lines({50: HEADER.strip()})}, "line 50, column t: 't'"),
    "text in a number column": ({"s.csv": _with_lines({9: "0.14,0,zero,1,0,0,0,walk"})}, "line 9, column ay"),
    "decimal comma": ({"s.csv": _with_lines({5: '0.06,"0,5",0,1,0,0,0,walk'})}, "line 5, column ax: '0,5'"),
    "NaN burst": (
        {"s.csv": _with_lines({n: f"{(n - 2) / 50},nan,0,1,0,0,0,walk" for n in range(40, 140)})},
        "line 40, column ax: 'nan' is not a finite number (100 such values",
    ),
    "inf": ({"s.csv": _with_lines({12: "0.2,0,0,-inf,0,0,0,walk"})}, "line 12, column az: '-inf'"),
    "duplicated timestamps": (
        {"s.csv": _with_lines({30: "0.54,0,0,1,0,0,0,walk"})},
        "line 30: timestamp t=0.54 repeats",
    ),
    "float32 overflow": (
        {"s.csv": _with_lines({20: "0.36,0,0,1,1e39,0,0,walk"})},
        "line 20, column gx: '1e39' is beyond 3.4e+38",
    ),
    "float64 overflow": (
        {"s.csv": _with_lines({21: "0.38,0,0,1,0,1e999,0,walk"})},
        "line 21, column gy: '1e999' is not a finite number",
    ),
    "empty file": ({"s.csv": ""}, "s.csv: empty file"),
    "whitespace only": ({"s.csv": "\n\n  \n"}, "s.csv: cannot be read as CSV"),
    "header only": ({"s.csv": HEADER}, "s.csv: no rows"),
    "binary garbage": (
        {"s.csv": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))},
        "s.csv: not a text CSV file",
    ),
    "latin-1 text": (
        {"s.csv": GOOD.replace("walk", "gehen-ä").encode("latin-1")},
        "s.csv: not a text CSV file (cannot decode it as UTF-8)",
    ),
    "1 GB sparse csv": ({"s.csv": None}, "s.csv: not a text CSV file (it contains NUL bytes)"),
    "1 GB sparse parquet": ({"s.parquet": None}, "s.parquet: cannot be read as PARQUET"),
    "parquet that is text": ({"s.parquet": GOOD}, "s.parquet: cannot be read as PARQUET"),
    "sessions.csv garbage": (
        {"s.csv": GOOD, "sessions.csv": b"\x00\x01\x02"},
        "sessions.csv: not a text CSV file",
    ),
    "sessions.csv wrong header": (
        {"s.csv": GOOD, "sessions.csv": "file,person\ns,1\n"},
        "sessions.csv: missing column(s) session, subject",
    ),
    "annotations end before start": (
        {"s.csv": GOOD, "annotations.csv": "session,start_s,end_s,label\ns,3,1,walk\n"},
        "annotations.csv: line 2: end_s 1.0 is not after start_s 3.0",
    ),
    "annotations mixed types": (
        {"s.csv": GOOD, "annotations.csv": "session,start_s,end_s,label\ns,one,2,walk\n"},
        "annotations.csv: line 2, column start_s: 'one'",
    ),
}


def _folder(tmp_path: Path, files: dict[str, str | bytes | None]) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    files = {"sessions.csv": "session,subject\ns,1\n", **files}
    for name, content in files.items():
        path = folder / name
        if content is None:
            _sparse(path)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def _run(command: str, argv: list[str], capfd) -> tuple[int, str]:
    """Run a command in this process as its console script would; (exit code, stderr)."""
    capfd.readouterr()
    code = run(command, argv)
    return code, capfd.readouterr().err


def _assert_clear(code: int, stderr: str, expected: str) -> None:
    assert code not in (0, None), stderr
    assert "Traceback" not in stderr and stderr.strip(), stderr
    assert expected in stderr, stderr


@pytest.mark.parametrize("case", sorted(CSV_CORPUS))
def test_bad_csv_folder(tmp_path, capfd, case):
    files, expected = CSV_CORPUS[case]
    folder = _folder(tmp_path, files)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    cache = tmp_path / "cache"
    code, stderr = _run(
        "har-data", ["data=csv", f"data.source.path={folder}", f"paths.cache_dir={cache}"], capfd
    )
    _assert_clear(code, stderr, expected)
    lines = stderr.strip().splitlines()  # `error: <folder>: N problems in 1 file; ...`, then one line each
    assert code == 2 and re.fullmatch(
        rf"error: {re.escape(str(folder))}: \d+ problems? in 1 file; nothing was written", lines[0]
    )
    assert len(lines) >= 2 and all(line.strip().startswith(str(folder)) for line in lines[1:])
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert not cache.exists() or not any(cache.rglob("*"))


def test_a_folder_of_one_class_is_refused(tmp_path, capfd):
    """A well-formed folder, but a classifier of one class would score 1.000 and mean nothing."""
    folder = _folder(tmp_path, {"s.csv": GOOD})
    cache = tmp_path / "cache"
    code, stderr = _run(
        "har-data", ["data=csv", f"data.source.path={folder}", f"paths.cache_dir={cache}"], capfd
    )
    assert code == 2 and stderr.strip().splitlines() == [
        "error: data=csv: 1 class(es) in the data (walk); a classifier needs at least two"
    ]
    assert not cache.exists() or not any(cache.rglob("*"))


CONFIG_CORPUS = {
    "unknown key": (["trainer.epoch=3"], "trainer.epoch=3: no such key; did you mean trainer.epochs?"),
    "unknown key added with +": (
        ["+trainer.epoch=3"],
        "+trainer.epoch=3: no such key, and + would add one that nothing reads; did you mean trainer.epochs=3?",
    ),
    "unknown key in a group": (
        ["data.windw_s=3"],
        "data.windw_s=3: no such key; did you mean data.window_s?",
    ),
    "unknown key, parent misspelt": (["triner.epochs=3"], "did you mean trainer.epochs?"),
    "unknown group option": (
        ["model=resnet"],
        "model=resnet: no such option; did you mean model=resnet1d? (options: cnn, deepconvlstm,",
    ),
    "group of another command": (["stream=sim"], "stream=sim: train.yaml does not use stream (its groups:"),
    "group added with +": (
        ["+search_space=tiny"],
        "+search_space=tiny: train.yaml does not use search_space",
    ),
    "group chosen twice": (["+model=cnn"], "+model=cnn: model is chosen already (model=cnn)"),
    "experiment of another command": (
        ["+experiment=sweep_watch"],
        "is run with `har-sweep`, not `har-train`",
    ),
    "a multirun list": (["model=cnn,dscnn"], "several values would run several jobs"),
    "a flag Hydra had": (["--multirun"], "--multirun: no such flag"),
    "override syntax": (["trainer.epochs=[1,"], "no viable alternative at input"),
    "text for an integer": (["trainer.epochs=abc"], "trainer.epochs=abc: expected a positive integer"),
    "text for a float": (
        ["optimizer.learning_rate=fast"],
        "optimizer.learning_rate='fast': expected a positive, finite number",
    ),
    "NaN learning rate": (["optimizer.learning_rate=nan"], "optimizer.learning_rate=nan"),
    "infinite weight decay": (["optimizer.weight_decay=inf"], "optimizer.weight_decay=inf"),
    "list for an integer": (
        ["model.build.width=[1,2]"],
        "model.build.width=[1, 2]: expected a positive value",
    ),
    "text for the window": (["data.window_s=abc"], "data.window_s='abc': expected a number"),
    "negative window": (["data.window_s=-1"], "data.window_s=-1: expected a positive number"),
    "text for the rate": (["data.rate_hz=fast"], "data.rate_hz='fast': expected a number"),
    "bad choice": (["trainer.strategy=tpu"], "trainer.strategy='tpu': expected one of default, mirrored"),
    "_target_ outside har": (
        ["model.build._target_=os.system"],
        "only targets inside 'har.' may be instantiated",
    ),
    "_target_ eval": (["optimizer._target_=builtins.eval"], "only targets inside 'har.' may be instantiated"),
    "_target_ subprocess": (
        ["logger._target_=subprocess.call"],
        "only targets inside 'har.' may be instantiated",
    ),
    "_target_ through har's imports": (
        ["data.source._target_=har.os.system"],
        "no function or class of that name is defined in har",
    ),
    "_target_ look-alike": (
        ["model.build._target_=harmful.build"],
        "only targets inside 'har.' may be instantiated",
    ),
    "_target_ missing in har": (
        ["model.build._target_=har.models.nothing.build"],
        "no function or class of that name is defined in har",
    ),
    "model too deep for the window": (["model.build.depth=9"], "window of 100 samples is too short"),
    "csv folder that does not exist": (
        ["data=csv", "data.source.path=/nonexistent"],
        "/nonexistent: not a folder",
    ),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CORPUS))
def test_bad_config(tmp_path, session_cache, capfd, case):
    overrides, expected = CONFIG_CORPUS[case]
    argv = [f"paths.root={tmp_path}", f"paths.cache_dir={session_cache}", "logger=none", *overrides]
    code, stderr = _run("har-train", argv, capfd)
    _assert_clear(code, stderr, expected)
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")
    assert not any(tmp_path.iterdir())  # no run folder, not even an empty one
