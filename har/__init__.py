"""har: deep-learning human activity recognition from wearable IMUs."""

from __future__ import annotations

import os
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
