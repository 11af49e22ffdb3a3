"""har: deep-learning human activity recognition from wearable IMUs."""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

__version__ = "0.1.0"

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


if os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("", "0") and "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlowImport())
