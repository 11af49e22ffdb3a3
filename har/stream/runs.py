"""`decoder=runs`: the argmax of every (smoothed) window, consecutive equal labels merged.

The plain run-merging the tracker started with; kept as the reference the other decoders
are measured against. Decisions are immediate (no lag) and flicker becomes extra events.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from har.export import Predictor
from har.stream.events import Movement
from har.stream.windows import WindowDecoder


class RunMerging(WindowDecoder):
    """Args:
    idle: classes that are not events (the rest are).
    min_duration_s: runs shorter than this are dropped.
    refractory_s: an event of the same class starting within this of the last one's end joins it.
    """

    def __init__(
        self,
        predictor: Predictor,
        smoothing,
        *,
        idle: Collection[str] | None = ("idle",),
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
    ) -> None:
        super().__init__(
            predictor, smoothing, idle=idle, min_duration_s=min_duration_s, refractory_s=refractory_s
        )

    def decide(self, centre: float, probabilities: np.ndarray, now: float) -> list[Movement]:
        index = int(probabilities.argmax())
        return self.segments.update(centre, self.class_names[index], float(probabilities[index]), now)
