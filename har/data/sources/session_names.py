"""Sessions described by their names: subject, label and count parsed from folder and file names.

Devices and phone apps name what they record: a MetaMotion export puts each session in a
folder `Left Jab/Left Jab 10 Anna_2019-11-05T12-22-19.065/`. A declared pattern
(`data.source.sessions`) reads those names, so that no `sessions.csv` is needed:

    {label}/{label} {count} {subject}_{stamp}

Each `{field}` matches one or more characters within one path part; `label`, `subject` and
`count` are used, any other name (`{stamp}`, `{_}`) is matched and ignored; a field named twice
must repeat the same text. `/` separates folder levels, so the pattern also says how deep the
sessions are. A session's name is its path relative to the data folder (without the file's
extension for single-file sessions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from har.data.recording import DataError

USED_FIELDS = ("label", "subject", "count")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)?\}")


@dataclass(frozen=True)
class NamePattern:
    """A compiled `data.source.sessions` pattern."""

    text: str
    regex: re.Pattern
    depth: int  # path parts in a session's name
    fields: frozenset[str]

    @classmethod
    def compile(cls, text: str, key: str = "data.source.sessions") -> NamePattern:
        """Check and compile `text`; a DataError names the key when it cannot be used."""
        text = str(text).strip().strip("/")
        if not text:
            raise DataError(
                f"{key}: an empty pattern (example: {{label}}/{{label}} {{count}} {{subject}}_{{stamp}})"
            )
        parts, seen, position, previous_field = [], set(), 0, False
        for match in _FIELD.finditer(text):
            literal = text[position : match.start()]
            if previous_field and not literal:
                raise DataError(
                    f"{key}={text!r}: two fields side by side ({match.group(0)} follows another) cannot be told "
                    "apart; put the text that separates them in the names between them"
                )
            parts.append(re.escape(literal))
            name = match.group(1) or f"_{len(seen)}"
            if name in seen and not name.startswith("_"):
                parts.append(f"(?P={name})")
            else:
                group = name if not name.startswith("_") else f"ignored{len(seen)}"
                parts.append(f"(?P<{group}>[^/]+?)")
                seen.add(name)
            position, previous_field = match.end(), True
        parts.append(re.escape(text[position:]))
        if "{" in text[position:] or "}" in text[position:]:
            raise DataError(
                f"{key}={text!r}: a brace that is not a field; fields are {{label}}, {{subject}}, ..."
            )
        return cls(text, re.compile("".join(parts)), text.count("/") + 1, frozenset(seen & set(USED_FIELDS)))

    def match(self, name: str) -> dict[str, str] | None:
        """The used fields of a session name, or None when the name does not match."""
        found = self.regex.fullmatch(name)
        if found is None:
            return None
        return {field: found.group(field).strip() for field in USED_FIELDS if field in self.fields}


def parse_count(text: object) -> int | None:
    """A count as a positive integer (`10`, `010`); None for anything else."""
    value = str(text).strip()
    if value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def candidates(folder: Path, depth: int, *, folders: bool, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Session folders (or files with `suffixes`) exactly `depth` levels under `folder`, sorted;
    hidden names (`.DS_Store`) are not sessions."""
    for path in sorted(folder.glob("/".join(["*"] * depth))):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.is_dir() if folders else path.is_file() and path.suffix in suffixes:
            yield path


def session_name(folder: Path, path: Path, *, strip_suffix: bool) -> str:
    """The session's name: its path under the data folder, `/`-separated."""
    relative = path.relative_to(folder)
    if strip_suffix:
        relative = relative.with_suffix("")
    return relative.as_posix()
