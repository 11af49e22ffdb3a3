"""`har-* --help`: what the command does, its groups and main options with their conf/ comments.

The text is built from `conf/` itself (the option lists from the group folders, the comments
from the YAML lines that set each key, the defaults from the composed config), so it cannot
drift from what the command runs. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from har.config import ALIASES, CONF_DIR, LIST_ALIASES, compose, group_options

_KEY_LINE = re.compile(r"^(\s*)(-\s+)?([A-Za-z_][\w.]*):\s*(.*)$")


def help_text(
    name: str,
    config: str,
    *,
    about: str,
    options: Sequence[str] = (),
    examples: Sequence[str] = (),
    config_dirs: Sequence[str] = (),
) -> str:
    """The whole --help text of command `name`, which runs `conf/<config>.yaml`.

    Args:
        about: what the command does, one sentence.
        options: the main option keys to list, each with its default and `conf/` comment.
        examples: command lines to show.
        config_dirs: `--config-dir` folders; their files are listed among the group options.
    """
    cfg = compose(config, config_dirs=config_dirs)
    dirs = (CONF_DIR, *(Path(folder).resolve() for folder in config_dirs))
    primary = _comments(CONF_DIR / f"{config}.yaml")
    choices = _choices(config)
    lines = [
        f"{name}: {about}",
        "",
        f"usage: {name} [--config-dir <your configs>] [key=value ...]   overrides of conf/{config}.yaml "
        "(--cfg prints the composed config)",
    ]
    groups = [
        (f"{group}={default}", " | ".join(group_options(group, dirs)), primary.get(group, ""))
        for group, default in choices.items()
    ]
    for alias, key in ALIASES.get(config, {}).items():
        groups.append(
            (f"{alias}={_show(cfg, key)}", " | ".join(group_options(alias)) + ", or a .yaml path", f"= {key}")
        )
    for alias, key in LIST_ALIASES.get(config, {}).items():
        groups.append(
            (f"{alias}=<name>", " | ".join(group_options(alias, dirs)), f"= {alias}=<name> first in {key}")
        )
    studies = _experiments(name)
    if studies:
        groups.append(("+experiment=<name>", " | ".join(studies), "a versioned study (conf/experiment/)"))
    if groups:
        lines += ["", "choose (conf/<group>/<option>.yaml):"]
        lines += _table(groups)
    if options:
        lines += ["", "main options (key=default):"]
        lines += _table(
            [(f"{key}={_show(cfg, key)}", "", _comment(key, primary, choices)) for key in options]
        )
    lines += ["", "examples:", *[f"  {example}" for example in examples]]
    return "\n".join(lines)


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    width = max(len(row[0]) for row in rows) + 2
    out = []
    for setting, options, comment in rows:
        text = "  ".join(part for part in (options, f"# {comment}" if comment else "") if part)
        out.append(f"  {setting:<{width}}{text}".rstrip())
    return out


def _show(cfg: DictConfig, key: str) -> str:
    """A key's default as written on a command line (a `_target_` node by its target)."""
    node: Any = cfg
    for part in key.split("."):
        node = node._get_node(part)
    if isinstance(node, DictConfig):
        return str(node.get("_target_", "{...}"))
    if isinstance(node, ListConfig):
        return "[" + ",".join(_plain(item) for item in OmegaConf.to_container(node, resolve=False)) + "]"
    return _plain(node._value())


def _plain(value: Any) -> str:
    """A value as an override writes it: `null`, `true`, `[a,b]`; quoted only where it must be."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    text = str(value)
    return json.dumps(text) if isinstance(value, str) and re.search(r"[=,\[\]{}\s]", text) else text


def _choices(config_name: str) -> dict[str, str]:
    """The groups of a primary config's defaults list and their default options, in order."""
    defaults = OmegaConf.load(CONF_DIR / f"{config_name}.yaml").get("defaults", [])
    choices = {}
    for entry in defaults:
        if isinstance(entry, DictConfig):
            for group, option in entry.items():
                if not str(group).startswith(("override", "hydra")):
                    choices[str(group)] = str(option)
    return choices


def _comments(path: Path) -> dict[str, str]:
    """The `# comment` of every key (dotted) and defaults entry set in a YAML file."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text().splitlines():
        match = _KEY_LINE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent, item, key, rest = len(match[1]), match[2], match[3], match[4]
        if item:  # a defaults-list entry: `- group: option  # comment`
            comments[key] = rest.partition(" #")[2].strip()
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key])
        comments[dotted] = rest.partition(" #")[2].strip() if not rest.startswith("#") else rest[1:].strip()
        stack.append((indent, key))
    return comments


def _comment(key: str, primary: dict[str, str], choices: dict[str, str]) -> str:
    """The comment on the line that sets `key`: in the primary file, else in its group's file."""
    if primary.get(key):
        return primary[key]
    group, _, rest = key.partition(".")
    path = CONF_DIR / group / f"{choices.get(group, '')}.yaml"
    return _comments(path).get(rest, "") if group in choices and path.is_file() else ""


def _experiments(command_name: str) -> list[str]:
    """The `conf/experiment/` studies run with this command."""
    names = []
    for path in sorted((CONF_DIR / "experiment").glob("*.yaml")):
        experiment = OmegaConf.load(path).get("experiment") or {}
        if experiment.get("command") == command_name:
            names.append(path.stem)
    return names
