"""One training run and its parts: `train(cfg)` (`run`), the fit of one split (`fit`), what
happens after every epoch (`callbacks`), devices and threads (`devices`), optimizers, the
forest baseline beside every run (`baseline`) and the files of a run folder (`run_folder`).

What other packages use is named here and imported on first use (`har.public`): no
TensorFlow on import.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "train": "run",
        "TrainResult": "run",
        "EpochHook": "callbacks",
        "RunPruned": "callbacks",
        "TrainingDiverged": "callbacks",
        "RunFolder": "run_folder",
        "Gpu": "devices",
        "cpu_cores": "devices",
        "configure_worker_tensorflow": "devices",
        "is_device_error": "devices",
        "visible_gpus": "devices",
        "window_features": "baseline",
        "sensor_triads": "baseline",
    },
)
