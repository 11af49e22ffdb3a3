"""Config composition, checked before anything runs, and the one `instantiate` helper.

`compose` is Hydra's compose API plus the checks a user needs before any work starts: every
override names a key or group option that exists (one line naming it, with the closest valid
spelling), `+` adds only what something reads, and a list of values is not taken for a
multirun. `instantiate` only builds objects defined in `har.`.
"""

from __future__ import annotations

import atexit
import difflib
import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from har.errors import UserError

CONF_DIR = Path(os.environ.get("HAR_CONF_DIR", Path(__file__).resolve().parent.parent / "conf"))
ALLOWED_TARGET_PREFIX = "har."
# Short forms a config accepts on the command line: `har-sweep search_space=tiny`.
ALIASES = {"sweep": {"search_space": "sweep.search_space"}}
# Short forms that put a train override in front of a list of them: `har-sweep data=phone`
# is `sweep.train_overrides=[data=phone, ...]`, the data of every trial (of every cell).
LIST_ALIASES = {"sweep": {"data": "sweep.train_overrides"}, "ablate": {"data": "overrides"}}
CONFIG_SUFFIXES = (".yaml", ".yml")


class ConfigError(UserError, ValueError):
    """A bad config value or override; the message names the key."""


# `${har.folder_name:${data.source.path}}`: a run folder named after the data folder it used.
OmegaConf.register_new_resolver("har.folder_name", lambda path: Path(str(path)).resolve().name, replace=True)


def compose(
    config_name: str = "train", overrides: Sequence[str] = (), *, config_dirs: Sequence[str | Path] = ()
) -> DictConfig:
    """Compose a config from `conf/` as the `har-*` commands do, checking every override.

    `paths.output_dir` keeps its `${hydra:runtime.output_dir}` interpolation, so callers set
    it by an override (tests point it at tmp_path); `compose_run` fills it in.

    Args:
        config_dirs: folders of the user's own configs (`--config-dir`), searched after
            `conf/`: a file there adds a group option (`my_conf/data/phone.yaml`: `data=phone`).

    Raises:
        ConfigError: one line naming the override at fault and, for a misspelt key or
            option, the closest valid spelling.
    """
    cfg, _ = _compose_checked(config_name, overrides, _search(config_dirs))
    return cfg


def compose_run(
    config_name: str, overrides: Sequence[str] = (), *, config_dirs: Sequence[str | Path] = ()
) -> DictConfig:
    """`compose`, with `paths.output_dir` set to the run folder `hydra.run.dir` names.

    The folder is only named here, not created: the command creates it once its checks pass.
    """
    cfg, run_dir = _compose_checked(config_name, overrides, _search(config_dirs))
    if "paths" in cfg and "output_dir" in _keys(cfg.paths):
        value = cfg.paths._get_node("output_dir")._value()
        if isinstance(value, str) and value.startswith("${hydra:"):
            cfg.paths.output_dir = run_dir
    return cfg


def required_missing(cfg: DictConfig) -> list[str]:
    """The dotted keys whose value is still `???` (a value the user must give)."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, DictConfig):
            for key in _keys(node):
                walk(node._get_node(key), f"{path}.{key}" if path else str(key))
        elif isinstance(node, ListConfig):
            for index in range(len(node)):
                walk(node._get_node(index), f"{path}[{index}]")
        elif node is not None and node._value() == "???":
            found.append(path)

    walk(cfg, "")
    return found


def check_required(cfg: DictConfig) -> None:
    """Refuse a config with a mandatory value (`???`) left out, naming the first one."""
    missing = required_missing(cfg)
    if missing:
        raise ConfigError(f"{missing[0]}: required; give it on the command line ({missing[0]}=<value>)")


def check_override_sets(
    config_name: str, sets: Sequence[tuple[str, Sequence[str]]], *, config_dirs: Sequence[str | Path] = ()
) -> list[str]:
    """Compose `config_name` once per `(label, overrides)` and check it; errors name the label.

    For overrides that are applied later, in another process: a sweep's `train_overrides`
    with each branch of its search space, an ablation's cells. Beyond the keys, a train
    config is checked for what would only fail once training started (`train_problems`).

    Returns:
        One warning line per setting that cannot take effect (each said once).
    """
    warnings: list[str] = []
    for label, overrides in sets:
        try:
            cfg = compose(config_name, overrides, config_dirs=config_dirs)
            check_required(cfg)
            found = train_problems(cfg) if config_name == "train" else []
        except ConfigError as error:
            raise ConfigError(f"{label}: {error}") from None
        warnings += [w for w in found if w not in warnings]
    return warnings


def train_problems(cfg: DictConfig) -> list[str]:
    """What a composed train config gets wrong that only training would find, checked now.

    Raises:
        ConfigError: a setting that would stop the run (synthetic windows without a generator).

    Returns:
        Warnings for settings that cannot take effect (a VAE fit shorter than its KL warm-up).
    """
    synth = cfg.get("synth")
    if synth is None:
        return []
    ratio = float(synth.get("ratio", 0) or 0)
    if ratio > 0 and "model" not in synth:
        raise ConfigError(f"synth.ratio={ratio} needs a generator: use synth=cvae")
    return vae_problems(synth) if ratio > 0 else []


def vae_problems(synth: DictConfig) -> list[str]:
    """Warnings for a VAE fit whose settings cannot all take effect (`synth=cvae`)."""
    fit = synth.get("fit")
    if fit is not None and int(fit.get("epochs", 0)) < int(fit.get("kl_warmup_epochs", 0)):
        return [
            f"warning: synth.fit.epochs={fit.epochs} is fewer than synth.fit.kl_warmup_epochs="
            f"{fit.kl_warmup_epochs}: the VAE's KL weight never reaches synth.fit.beta={fit.beta}"
        ]
    return []


def config_files(config_dirs: Sequence[str | Path]) -> list[dict[str, str]]:
    """The content of `--config-dir` folders: per folder, {relative path: text} of its YAML files.

    What a sweep stores in its study (and an ablation in its folder), so that every machine
    and every resume composes from the same configs without sharing a file system.
    """
    contents = []
    for folder in _search(config_dirs)[1:]:
        files = sorted(p for p in folder.rglob("*") if p.suffix in CONFIG_SUFFIXES and p.is_file())
        contents.append({path.relative_to(folder).as_posix(): path.read_text() for path in files})
    return contents


def file_changes(before: Sequence[dict[str, str]], now: Sequence[dict[str, str]]) -> list[str]:
    """The files that differ between two `config_files` contents (`<folder>/<path>` or a count)."""
    if len(before) != len(now):
        return [f"{len(now)} --config-dir folder(s) (before: {len(before)})"]
    changed = []
    for index, (old, new) in enumerate(zip(before, now)):
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                what = "added" if name not in old else "removed" if name not in new else "changed"
                changed.append(f"{name} {what}" + (f" (folder {index + 1})" if len(now) > 1 else ""))
    return changed


def materialise(contents: Sequence[dict[str, str]]) -> list[Path]:
    """`config_files` contents as folders of this process (private, removed at exit), to compose from.

    The same contents give the same folders for the life of the process.
    """
    return [_materialised(json.dumps(files, sort_keys=True)) for files in contents]


@functools.cache
def _materialised(text: str) -> Path:
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = Path(tempfile.mkdtemp(prefix=f"har-config-{digest}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, content in json.loads(text).items():
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:  # a stored name never writes outside the folder
            raise ConfigError(f"--config-dir content: {name}: not a path inside the folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return folder


def override_key(text: str) -> str:
    """The key or group an override sets (`+trainer.epochs=3` -> `trainer.epochs`)."""
    return _parse(text).key_or_group


def _search(config_dirs: Sequence[str | Path]) -> tuple[Path, ...]:
    """Every config folder, `conf/` first: the folders of `--config-dir` must exist."""
    extra = []
    for folder in config_dirs:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise ConfigError(f"--config-dir {folder}: no such folder")
        extra.append(path)
    return (CONF_DIR, *extra)


def _searchpath(dirs: Sequence[Path]) -> list[str]:
    """The Hydra override that adds the folders after `conf/` (what Hydra's --config-dir does)."""
    extra = [f"file://{path}" for path in dirs[1:]]
    return [f"hydra.searchpath=[{','.join(extra)}]"] if extra else []


@contextmanager
def _hydra() -> Iterator[None]:
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            yield
    finally:
        GlobalHydra.instance().clear()


def _compose_checked(
    config_name: str, overrides: Sequence[str], dirs: Sequence[Path] = (CONF_DIR,)
) -> tuple[DictConfig, str]:
    """The checked config without its `hydra` node, and the run folder `hydra.run.dir` names."""
    aliases = ALIASES.get(config_name, {})
    overrides = [_alias(text, aliases) for text in overrides]
    overrides, listed = _list_aliases(config_name, overrides, dirs)
    shadowed = _shadowed(config_name, dirs)
    values = [(text, _parse(text)) for text in overrides if text.partition("=")[0] in shadowed]
    overrides = [text for text in overrides if text.partition("=")[0] not in shadowed]
    parsed = [_parse(text) for text in overrides]
    with _hydra():
        try:
            cfg = hydra_compose(
                config_name=config_name, overrides=[*overrides, *_searchpath(dirs)], return_hydra_config=True
            )
        except (HydraException, OmegaConfBaseException) as error:
            raise _diagnose(config_name, overrides, parsed, error, dirs) from None
        except yaml.YAMLError as error:  # a config file of one's own that is not valid YAML
            raise ConfigError(f"not valid YAML: {' '.join(str(error).split())}") from None
        _check_additions(config_name, overrides, parsed, dirs)
    try:
        run_dir = str(OmegaConf.select(cfg, "hydra.run.dir", default="."))
    except OmegaConfBaseException:  # it names a value still `???`: check_required says which
        run_dir = "."
    with open_dict(cfg):
        del cfg["hydra"]
    for _, override in values:
        cfg[override.key_or_group] = override.value()
    for key, items in listed.items():
        node = OmegaConf.select(cfg, key)
        clash = [text for text in node if override_key(text) in {override_key(i) for i in items}]
        if clash:
            raise ConfigError(f"{items[0]} and {key}: both set {override_key(clash[0])}; give it once")
        OmegaConf.update(cfg, key, [*items, *node], merge=False)
    return cfg, run_dir


@functools.cache
def _shadowed_keys(config_name: str, dirs: tuple[Path, ...]) -> frozenset[str]:
    primary = OmegaConf.load(CONF_DIR / f"{config_name}.yaml")
    chosen = {
        str(k).split(" ")[-1]
        for entry in primary.get("defaults", [])
        if isinstance(entry, DictConfig)
        for k in entry
    }
    return frozenset(
        str(key)
        for key in primary
        if key != "defaults" and key not in chosen and any((folder / str(key)).is_dir() for folder in dirs)
    )


def _shadowed(config_name: str, dirs: Sequence[Path]) -> frozenset[str]:
    """Plain keys of a primary config named like a config group (`ablate.yaml`'s `validation:
    holdout`): Hydra would take `validation=holdout` for the group, so they are set after."""
    path = CONF_DIR / f"{config_name}.yaml"
    return _shadowed_keys(config_name, tuple(dirs)) if path.is_file() else frozenset()


def _list_aliases(
    config_name: str, overrides: list[str], dirs: Sequence[Path]
) -> tuple[list[str], dict[str, list[str]]]:
    """`overrides` without the list short forms (`data=phone`), and what each list gets first."""
    aliases = LIST_ALIASES.get(config_name, {})
    kept, listed = [], {}
    for text in overrides:
        key, sign, value = text.partition("=")
        if not sign or key not in aliases:
            kept.append(text)
            continue
        options = group_options(key, dirs)
        if value not in options:
            close = _closest(value, options)
            hint = f"; did you mean {key}={close}?" if close else ""
            raise ConfigError(f"{text}: no such option{hint} (options: {', '.join(options)})")
        listed.setdefault(aliases[key], []).append(text)
        if config_name == "sweep" and not any(o.lstrip("+").startswith("sweep.study=") for o in overrides):
            kept.append(f"sweep.study={value}-default")  # a sweep on their data is not watch-default
    return kept, listed


def _alias(text: str, aliases: dict[str, str]) -> str:
    key, sign, value = text.lstrip("+").partition("=")
    return f"{aliases[key]}={value}" if sign and key in aliases else text


@functools.cache
def _parser() -> OverridesParser:
    return OverridesParser.create()


def _parse(text: str) -> Override:
    try:
        override = _parser().parse_override(text)
    except HydraException as error:
        quoting = "; list items with = need quotes: key='[\"a=1\"]'" if re.search(r"\[[^\]]*=", text) else ""
        raise ConfigError(f"{text}: not a valid override ({str(error).splitlines()[0]}){quoting}") from None
    if override.is_sweep_override():
        raise ConfigError(
            f"{text}: several values would run several jobs (Hydra's --multirun), which har does "
            "not do: run har-ablate or har-sweep, or quote a string: key='a,b'"
        )
    return override


def group_options(group: str, dirs: Sequence[Path] = (CONF_DIR,)) -> list[str]:
    """The options of a config group: the `<group>/*.yaml` names in `conf/` (and `dirs`)."""
    return sorted({path.stem for folder in dirs for path in (folder / group).glob("*.yaml")})


def _is_group(override: Override, dirs: Sequence[Path]) -> bool:
    key = override.key_or_group
    return key.startswith("hydra/") or any((folder / key).is_dir() for folder in dirs)


def _global_delta(group: str, option: str, dirs: Sequence[Path]) -> bool:
    """Whether `<group>/<option>.yaml` (the first found) is a `# @package _global_` delta (an experiment)."""
    paths = [
        folder / group / f"{option}.yaml" for folder in dirs if (folder / group / f"{option}.yaml").is_file()
    ]
    return bool(paths) and "# @package _global_" in paths[0].read_text().splitlines()[:3]


def _closest(word: Any, candidates: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def _diagnose(
    config_name: str, overrides: list[str], parsed: list[Override], error: Exception, dirs: Sequence[Path]
) -> ConfigError:
    """The one-line reason Hydra refused the overrides, naming the override at fault."""
    groups = [(text, o) for text, o in zip(overrides, parsed) if _is_group(o, dirs)]
    if groups:
        choices = _groups_of(config_name, dirs)
        for text, override in groups:
            problem = _group_problem(config_name, override, choices, dirs)
            if problem:
                return ConfigError(f"{text}: {problem}")
    try:
        base = hydra_compose(
            config_name=config_name, overrides=[*(text for text, _ in groups), *_searchpath(dirs)]
        )
    except (HydraException, OmegaConfBaseException) as group_error:
        return ConfigError(f"cannot compose {config_name!r}: {str(group_error).splitlines()[0]}")
    for text, override in zip(overrides, parsed):
        if not _is_group(override, dirs) and not override.key_or_group.startswith("hydra."):
            problem = _key_problem(base, override)
            if problem:
                return ConfigError(f"{text}: {problem}")
    return ConfigError(f"cannot compose {config_name!r} with {overrides}: {str(error).splitlines()[0]}")


def _groups_of(config_name: str, dirs: Sequence[Path]) -> dict[str, Any]:
    """The config groups `config_name` chooses from, with their default options."""
    cfg = hydra_compose(config_name=config_name, overrides=_searchpath(dirs), return_hydra_config=True)
    return {k: v for k, v in cfg.hydra.runtime.choices.items() if not k.startswith("hydra/")}


def _group_problem(
    config_name: str, override: Override, choices: dict[str, Any], dirs: Sequence[Path]
) -> str | None:
    group, option = override.key_or_group, override.value()
    if group.startswith("hydra/") or override.is_delete():
        return None
    options = group_options(group, dirs)
    if not isinstance(option, str) or option not in options:
        close = _closest(option, options)
        hint = f"; did you mean {group}={close}?" if close else ""
        return f"no such option{hint} (options: {', '.join(options)})"
    if override.is_add() and group in choices:
        return f"{group} is chosen already ({group}={choices[group]}); write {group}={option} without +"
    if group not in choices and not (override.is_add() and _global_delta(group, option, dirs)):
        return f"{config_name}.yaml does not use {group} (its groups: {', '.join(sorted(choices))})"
    return None


def _check_additions(
    config_name: str, overrides: list[str], parsed: list[Override], dirs: Sequence[Path]
) -> None:
    """Refuse `+key=value` for a key nothing reads, and `+group=option` that adds an unused node.

    Hydra adds whatever `+` names, so `+trainer.epoch=3` would train the default epochs
    without a word. A key is accepted if it exists, or if the `_target_` beside it takes it
    as an argument (`+sweep.objective.seconds=0.05`).
    """
    added = [(t, o) for t, o in zip(overrides, parsed) if (o.is_add() or o.is_force_add())]
    if not added:
        return
    choices = _groups_of(config_name, dirs)
    for text, override in added:
        if _is_group(override, dirs):
            problem = _group_problem(config_name, override, choices, dirs)
            if problem:
                raise ConfigError(f"{text}: {problem}")
    values = [(t, o) for t, o in added if not _is_group(o, dirs) and not o.key_or_group.startswith("hydra.")]
    if not values:
        return
    kept = [t for t, o in zip(overrides, parsed) if (t, o) not in values]
    base = hydra_compose(config_name=config_name, overrides=[*kept, *_searchpath(dirs)])
    for text, override in values:
        problem = _key_problem(base, override)
        if problem:
            raise ConfigError(f"{text}: {problem}")


def _key_problem(base: DictConfig, override: Override) -> str | None:
    """Why `override` names no key of `base`, or None when it does (or may add it)."""
    key, adds = override.key_or_group, override.is_add() or override.is_force_add()
    if _node(base, key) is not None:
        return f"{key} exists already; write it without +" if override.is_add() else None
    if adds and _target_takes(base, key):
        return None
    close = _closest_key(base, key, arguments=adds)
    if adds:
        hint = f"; did you mean {close}={override.get_value_element_as_str()}?" if close else ""
        return f"no such key, and + would add one that nothing reads{hint}"
    if close:
        return f"no such key; did you mean {close}?"
    parent = _node(base, key.rpartition(".")[0]) if "." in key else None
    known = [k for k in _keys(parent) if not k.startswith("_")] if isinstance(parent, DictConfig) else []
    return "no such key" + (f" ({key.rpartition('.')[0]} has {', '.join(known)})" if known else "")


def _keys(node: DictConfig) -> list[str]:
    # Not `key in node`: DictConfig's `in` says False for a key whose value is `???`.
    return [str(key) for key in node.keys()]  # noqa: SIM118


def _node(cfg: DictConfig, key: str) -> Any:
    """The node at dotted `key`, without resolving interpolations; None if there is none."""
    node: Any = cfg
    for part in key.split("."):
        if isinstance(node, DictConfig) and part in _keys(node):
            node = node._get_node(part)
        elif isinstance(node, ListConfig) and part.isdigit() and int(part) < len(node):
            node = node._get_node(int(part))
        else:
            return None
    return node


def _target_takes(base: DictConfig, key: str) -> bool:
    """Whether the `_target_` of `key`'s parent node accepts `key`'s last part as an argument."""
    parent, _, name = key.rpartition(".")
    parameters = _target_parameters(_node(base, parent) if parent else base)
    return name in parameters or "**" in parameters


def _target_parameters(node: Any) -> list[str]:
    """The argument names of a node's `_target_` in har (`**` for **kwargs); [] if none."""
    if not isinstance(node, DictConfig) or "_target_" not in _keys(node):
        return []
    target = str(node._get_node("_target_")._value())
    if not target.startswith(ALLOWED_TARGET_PREFIX) or not _defined_in_har(target):
        return []
    module, _, attribute = target.rpartition(".")
    function = getattr(importlib.import_module(module), attribute)
    return [
        "**" if p.kind is inspect.Parameter.VAR_KEYWORD else p.name
        for p in inspect.signature(function).parameters.values()
    ]


def _closest_key(base: DictConfig, key: str, *, arguments: bool = False) -> str | None:
    """The closest existing key: a sibling first (`trainer.epoch` -> `trainer.epochs`), else any.

    With `arguments` (for a `+key`), siblings include the arguments of the parent's
    `_target_` (this imports its module). Keys such as `_target_` are never offered.
    """
    parent, _, name = key.rpartition(".")
    node = _node(base, parent) if parent else base
    if isinstance(node, DictConfig):
        names = [*_keys(node), *(_target_parameters(node) if arguments else [])]
        siblings = [k for k in names if not k.startswith("_") and k != "**"]
        sibling = _closest(name, siblings)
        return (f"{parent}.{sibling}" if parent else sibling) if sibling else None
    keys = [k for k in _all_keys(base) if not k.rpartition(".")[2].startswith("_")]
    return _closest(key, keys)  # the parent is misspelt too: `triner.epochs`


def _all_keys(node: Any, path: str = "") -> list[str]:
    keys: list[str] = []
    if isinstance(node, DictConfig):
        for key in _keys(node):
            child = f"{path}.{key}" if path else str(key)
            keys += [child, *_all_keys(node._get_node(key), child)]
    return keys


def check_experiment(cfg: DictConfig, command: str) -> None:
    """Refuse an `+experiment=` written for another command: its keys would be silently unused.

    Every `conf/experiment/*.yaml` names its command under `experiment.command`.
    """
    experiment = cfg.get("experiment")
    if experiment is not None and experiment.get("command") != command:
        raise ConfigError(
            f"+experiment={experiment.get('name')} is run with `{experiment.get('command')}`, not `{command}`"
        )


def _check_targets(node: Any, path: str) -> None:
    if isinstance(node, DictConfig):
        target = node.get("_target_") if "_target_" in node else None
        if target is not None and not str(target).startswith(ALLOWED_TARGET_PREFIX):
            raise ConfigError(
                f"{path or '<root>'}._target_={target!r}: only targets inside "
                f"{ALLOWED_TARGET_PREFIX!r} may be instantiated"
            )
        if target is not None and not _defined_in_har(str(target)):
            raise ConfigError(
                f"{path or '<root>'}._target_={target!r}: no function or class of that name is defined in har"
            )
        for key in node:
            _check_targets(node._get_node(key), f"{path}.{key}" if path else str(key))
    elif isinstance(node, ListConfig):
        for index in range(len(node)):
            _check_targets(node._get_node(index), f"{path}[{index}]")


def _defined_in_har(target: str) -> bool:
    """Whether `target` names a function or class defined in a har module.

    The prefix alone is not enough: `har.os.system` starts with `har.` and resolves to
    `os.system` through the `os` that `har/__init__.py` imports.
    """
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            found = getattr(found, name, None)
        module = str(getattr(found, "__module__", None))
        return callable(found) and (module == "har" or module.startswith(ALLOWED_TARGET_PREFIX))
    return False


def instantiate(cfg: DictConfig, key: str = "", **kwargs: Any) -> Any:
    """`hydra.utils.instantiate`, refusing any `_target_` outside `har.`.

    Args:
        cfg: the node to build.
        key: its path in the full config, for error messages.
        kwargs: extra arguments passed to the target.
    """
    from hydra.utils import instantiate as hydra_instantiate

    _check_targets(cfg, key)
    try:
        return hydra_instantiate(cfg, **kwargs)
    except Exception as error:  # hydra wraps the target's error; unwrap it for the user
        cause = error.__cause__ or error
        if isinstance(cause, (ValueError, TypeError)):
            raise ConfigError(f"{key or '<config>'}: {cause}") from cause
        raise


def to_container(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain Python (what is logged and saved)."""
    return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)  # type: ignore[return-value]
