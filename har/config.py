"""Config composition and the one `instantiate` helper, which only builds objects from `har.`."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from har.errors import UserError

CONF_DIR = Path(os.environ.get("HAR_CONF_DIR", Path(__file__).resolve().parent.parent / "conf"))
ALLOWED_TARGET_PREFIX = "har."


class ConfigError(UserError, ValueError):
    """A bad config value or override; the message names the key."""


# `${har.folder_name:${data.source.path}}`: a run folder named after the data folder it used.
OmegaConf.register_new_resolver("har.folder_name", lambda path: Path(str(path)).resolve().name, replace=True)


def compose(config_name: str = "train", overrides: Sequence[str] = ()) -> DictConfig:
    """Compose a config from `conf/` as `har-train` would, outside of `@hydra.main`.

    Interpolations of `${hydra:...}` are not available here, so `paths.output_dir` must
    be set by an override (tests point it at tmp_path).
    """
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides), return_hydra_config=False)
    except (HydraException, OmegaConfBaseException) as error:
        raise ConfigError(f"cannot compose {config_name!r} with {list(overrides)}: {error}") from None
    finally:
        GlobalHydra.instance().clear()
    return cfg


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
