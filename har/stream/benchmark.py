"""Track many streams with one `track.yaml` configuration and pool their scores.

What `experiments/tracking/` tunes and evaluates with; also the way to score a decoder on a
folder of your own recordings (`stream=file` streams with annotations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from har.export import Predictor
from har.stream.cli import build_tracker
from har.stream.events import Movement, event_classes
from har.stream.metrics import StreamScore, pool, score


@dataclass
class PooledResult:
    score: StreamScore  # events pooled over the streams
    stream_s: float
    processing_s: float
    windows: int
    events: list[list[Movement]]  # per stream
    truths: list[list[tuple[str, float, float]]]  # per stream

    @property
    def real_time_factor(self) -> float:
        return self.stream_s / self.processing_s if self.processing_s else float("inf")

    def row(self) -> dict:
        """The metrics of a results.csv row."""
        summary = self.score.to_dict()
        return {
            "event_f1": round(summary["event_f1"], 4),
            "onset_mae_ms": _round(summary["onset_mae_ms"], 1),
            "segment_f1": round(summary["segment_f1"], 4),
            "count_error": round(summary["relative_count_error"], 4),
            "decision_delay_p50_ms": _round(summary["decision_delay_p50_ms"], 0),
            "decision_delay_p95_ms": _round(summary["decision_delay_p95_ms"], 0),
            "rtf": round(self.real_time_factor, 0),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(value, digits)


def track_streams(cfg: DictConfig, predictor: Predictor, streams: list) -> PooledResult:
    """Run `cfg`'s decoder (a composed `track` config) over `streams`; pool events and time.

    Every stream gets a fresh decoder; `cfg.events` says which classes are scored and how.
    """
    classes = event_classes(predictor.class_names, cfg.events.idle)
    scores, stream_s, processing_s, windows, events = [], 0.0, 0.0, 0, []
    for stream in streams:
        # cut to the model's channels, in its order (a dataset stream has all of the dataset's)
        result = build_tracker(cfg, predictor).run(stream.select(predictor.channels), chunk=cfg.chunk)
        events.append(result.events)
        scores.append(
            score(
                result.events,
                stream.truth,
                classes=classes,
                collar_s=cfg.events.collar_s,
                min_iou=cfg.events.iou,
            )
        )
        stream_s += result.duration_s
        processing_s += result.processing_s
        windows += result.latency.total
    return PooledResult(pool(scores), stream_s, processing_s, windows, events, [s.truth for s in streams])
