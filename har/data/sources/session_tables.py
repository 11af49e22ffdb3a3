"""The tables beside the sessions: `sessions.csv` (subject, split and count per session) and
`annotations.csv` (labelled segments), read and checked for `csv_folder`.

Every problem is added to the caller's `Problems` (file, line, column, what, fix), so that a
folder's problems are reported together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from har.data.recording import Event
from har.data.sources.csv_format import Problems, read_table
from har.data.sources.session_names import parse_count

SESSIONS_FILE = "sessions.csv"
ANNOTATIONS_FILE = "annotations.csv"
SPLIT_VALUES = ("train", "val", "test")


def read_sessions_file(
    path: Path, names: list[str], problems: Problems, *, need_subject: bool = True
) -> dict[str, dict[str, str]]:
    """session name -> {subject, split, count, line} as written (cells may be empty).

    A row names a session by its name or, where that is unique, by its last part (a session
    folder's own name). Without `need_subject` (the sessions' names give their subjects) the
    file is optional and every column but `session` too: it overrides per session.
    """
    if not path.is_file():
        if need_subject:
            problems.add(
                path,
                "missing; it maps each session file to its subject (columns session,subject[,split][,count]), "
                "so that splits can be made by subject",
                "write it, one row per session file, or name the subject in data.source.sessions",
            )
        return {}
    required = ["session", "subject"] if need_subject else ["session"]
    optional = ["split", "count"] + ([] if need_subject else ["subject"])
    frame = read_table(path, required, optional, problems)
    if frame is None:
        return {}
    last_parts: dict[str, list[str]] = {}
    for name in names:
        last_parts.setdefault(name.rsplit("/", 1)[-1], []).append(name)
    entries: dict[str, dict[str, str]] = {}
    column = {
        c: frame[c].astype(str).str.strip() if c in frame else [""] * len(frame) for c in required + optional
    }
    for row in range(len(frame)):
        written, subject = column["session"][row], column["subject"][row]
        split, count, line = column["split"][row].lower(), column["count"][row], row + 2
        matches = [written] if written in names else last_parts.get(written, [])
        session = matches[0] if matches else written
        if len(matches) > 1:
            problems.add(
                path,
                f"session {written!r} names {len(matches)} sessions ({', '.join(matches[:3])})",
                "write the session's full name (its path under the data folder)",
                line=line,
            )
        elif not session or (need_subject and not subject):
            problems.add(path, "empty session or subject", "fill both cells", line=line)
        elif session in entries:
            problems.add(path, f"session {session!r} listed twice", "keep one row per session", line=line)
        elif split not in ("", *SPLIT_VALUES):
            problems.add(
                path,
                f"split {split!r} is not one of {', '.join(SPLIT_VALUES)} (or empty)",
                "write train, val, test or leave it empty for a seeded split",
                line=line,
                column="split",
            )
        elif count and parse_count(count) is None:
            problems.add(
                path,
                f"count {count!r} is not a positive integer",
                "write how many movements the session holds (1, 2, ...) or leave it empty",
                line=line,
                column="count",
            )
        else:
            entries[session] = {"subject": subject, "split": split, "count": count, "line": str(line)}
    return entries


def session_entries(
    folder: Path,
    found: dict[str, tuple[Path, dict[str, str]]],
    table: dict[str, dict[str, str]],
    problems: Problems,
) -> dict[str, dict[str, Any]]:
    """Each session's subject, split, count and label: its name's fields, overridden by its
    sessions.csv row; a problem for a session without a subject or with a bad count."""
    entries, missing = {}, []
    for name, (path, fields) in found.items():
        row = table.get(name, {})
        subject = row.get("subject") or fields.get("subject", "")
        count_text = row.get("count") or fields.get("count") or ""
        count = parse_count(count_text) if count_text else None
        if count_text and count is None:  # a bad count in sessions.csv was reported with its line
            problems.add(
                path,
                f"count {count_text!r} (from the name) is not a positive integer",
                "rename the session with the number of movements it holds (1, 2, ...)",
            )
            continue
        if not subject:
            missing.append(name)
            continue
        entries[name] = {
            "subject": subject,
            "split": row.get("split", ""),
            "count": count,
            "label": fields.get("label"),
        }
    if missing:
        problems.add(
            folder / SESSIONS_FILE,
            f"no subject for session(s) {', '.join(missing)}",
            "add a row for each session, or name the subject in data.source.sessions",
        )
    return entries


def subject_splits(path: Path, table: dict[str, dict[str, Any]], problems: Problems) -> dict[str, str]:
    """The split each subject's sessions declare; sessions of one subject must agree."""
    declared: dict[str, dict[str, list[str]]] = {}
    for session, entry in table.items():
        if entry["split"]:
            declared.setdefault(entry["subject"], {}).setdefault(entry["split"], []).append(session)
    for subject, by_split in declared.items():
        if len(by_split) > 1:
            listing = "; ".join(
                f"{split}: {', '.join(sessions)}" for split, sessions in sorted(by_split.items())
            )
            problems.add(
                path,
                f"subject {subject!r} is declared in {len(by_split)} splits ({listing})",
                "give every session of a subject the same split (splits are by subject)",
                column="split",
            )
    return {subject: next(iter(by_split)) for subject, by_split in declared.items() if len(by_split) == 1}


def read_annotations(path: Path, stems: set[str], problems: Problems) -> dict[str, list[Event]]:
    if not path.is_file():
        return {}
    frame = read_table(path, ["session", "start_s", "end_s", "label"], [], problems)
    if frame is None:
        return {}
    bounds = {
        c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in ("start_s", "end_s")
    }
    events: dict[str, list[Event]] = {}
    for row, session in enumerate(frame["session"]):
        session = str(session).strip()
        start, end = bounds["start_s"][row], bounds["end_s"][row]
        bad = [c for c in bounds if not np.isfinite(bounds[c][row])]
        if session not in stems:
            problems.add(
                path,
                f"unknown session {session!r}",
                "use a session file's name without extension",
                line=row + 2,
            )
        elif bad:
            problems.add(
                path,
                f"{frame[bad[0]].iloc[row]!r} is not a number",
                "write seconds from the session start",
                line=row + 2,
                column=bad[0],
            )
        elif end <= start:
            problems.add(
                path, f"end_s {end} is not after start_s {start}", "swap or correct them", line=row + 2
            )
        else:
            label = str(frame["label"].iloc[row]).strip()
            events.setdefault(session, []).append(Event(label, float(start), float(end)))
    return events
