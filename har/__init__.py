"""har: deep-learning human activity recognition from wearable IMUs.

`import har` changes nothing in the process: the entry points (`har.cli`, the sweep's worker
processes) call `configure_process()` first. Each package's `__init__` names what other
packages may use (`public`), imported on first use, so that importing a package loads no
TensorFlow and a command checks its config in a second.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def public(
    package: str, names: dict[str, str]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """A package's public names, each imported from its module when first used (PEP 562).

        __all__, __getattr__, __dir__ = public(__name__, {"load_windows": "dataset", ...})

    Args:
        package: the package's `__name__`.
        names: public name -> the submodule (relative to the package) that defines it, or
            `"submodule:attribute"` where the public name differs from the module's own.

    Returns:
        `__all__`, the module's `__getattr__` and `__dir__`.
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = names[name].partition(":")
        value = getattr(importlib.import_module(f"{package}.{module}"), attribute or name)
        setattr(sys.modules[package], name, value)  # once: later lookups do not come here
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return sorted(names), __getattr__, __dir__


def configure_process() -> None:
    """What every har command sets before its work: quiet TensorFlow, nothing written under ~.

    Only defaults: a variable the user set keeps its value. Called by the entry points and
    the sweep's worker processes, not on import.
    """
    # Keras writes keras.json under ~/.keras and matplotlib its font cache under ~/.cache and
    # ~/.config unless told otherwise; keep ~ untouched.
    os.environ.setdefault("KERAS_HOME", str(Path(tempfile.gettempdir()) / "har-keras"))
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "har-matplotlib"))
    # TensorFlow's start-up noise (oneDNN notices, CPU feature lines) hides har's own output.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    # CUDA numbers GPUs fastest first unless told otherwise; nvidia-smi, schedulers and har's
    # `device` attributes number them by PCI bus.
    os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("", "0")
    if (
        quiet
        and "tensorflow" not in sys.modules
        and not any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path)
    ):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Silence what TensorFlow's C++ side prints while `import tensorflow` runs.

    The `tensorflow` wheel (GPU-capable, har's one TensorFlow) logs "Could not find cuda
    drivers" twice at import on a machine without CUDA, and CUDA plugin notices on one with
    it, ignoring TF_CPP_MIN_LOG_LEVEL (tensorflow#100442). Only when the user left that
    variable at 1 or more; errors still raise as exceptions.
    """

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: find the real spec, then wrap its loader
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            sys.stderr.flush()
            saved, sink = os.dup(2), os.open(os.devnull, os.O_WRONLY)
            os.dup2(sink, 2)
            try:
                run(module)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                os.close(sink)

        spec.loader.exec_module = exec_module
        return spec
