"""Recordings to windows split by subject: sources, channels, windowing, splits, normalisation,
the window cache and the tf.data pipeline.

What other packages use is named here and imported on first use (`har.public`), so
`import har.data` loads neither pandas' readers nor TensorFlow.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        # recordings and windows
        "DataError": "recording",
        "UNLABELLED": "recording",
        "WindowSet": "recording",
        "require_channels": "recording",
        "WindowedData": "dataset",
        "Normaliser": "dataset",
        "load_windows": "dataset",
        "WINDOW_CACHE": "dataset",
        "window_cache_key": "dataset",
        "CacheKeys": "cache",
        "cache_key": "cache",
        "resample": "windowing",
        "SPLITS": "splits",
        "subject_classes": "splits",
        "subject_folds": "splits",
        "natural_sort": "splits",
        # movements: the fitted detector shared by movement windows and the tracker
        "DetectorSettings": "movements",
        "Found": "movements",
        "MovementFinder": "movements",
        "find_movements": "movements",
        "fit_detector": "detector_fit",
        "truth_count": "detector_fit",
        # channels and rates
        "DEFAULT_CHANNELS": "channels",
        "sensor_groups": "channels",
        "triads": "channels",
        "check_max_gap_periods": "rates",
        "gap_seconds": "rates",
        # the csv session reader, shared with the tracker's file and stdin streams
        "Problems": "sources.csv_format",
        "SessionFormat": "sources.csv_format",
        "read_session": "sources.csv_format",
        "read_table": "sources.csv_format",
        # simulated strikes, for the tracker's simulated stream
        "STRIKE_CLASSES": "sources.strikes_sim:CLASS_NAMES",
        "random_strike_style": "sources.strikes_sim:random_style",
        "simulate_session": "sources.strikes_sim",
        "simulate_workout": "sources.strikes_sim",
        # the training input pipeline (TensorFlow)
        "BatchAugment": "pipeline",
        "batches_per_epoch": "pipeline",
        "make_dataset": "pipeline",
        # `har-data`
        "print_summary": "cli:main",
    },
)
