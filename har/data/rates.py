"""Sample rates found from timestamps, and what counts as a gap: one rule for datasets and streams.

A session's period is the median step between its timestamps (robust to jitter and to a few
dropped samples); its rate is 1 / period. A **gap** is a step longer than
`max_gap_periods` x the session's own period (default 5: 0.1 s at 50 Hz, 0.5 s at 10 Hz), so
the rule does not depend on the device's rate, and floating-point steps such as
0.4 - 0.3 = 0.10000000000000003 at 10 Hz are never gaps. Shorter holes are interpolated over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from har.config import ConfigError

MAX_GAP_PERIODS = 5.0
# Rates within this share of each other are one rate: device clocks drift (a "50 Hz" phone
# samples at 49.6 Hz), and resampling by 2% changes nothing a classifier sees.
SAME_RATE = 0.02


def median_period(t: np.ndarray) -> float:
    """The median step of increasing timestamps (s); nan for fewer than two samples."""
    return float(np.median(np.diff(t))) if len(t) >= 2 else float("nan")


def nominal_rate(rate_hz: float) -> float:
    """A measured rate as the rate the device was set to: the nearest whole Hz within 2%,
    else rounded to 0.1 Hz (12.5 Hz stays 12.5)."""
    whole = round(rate_hz)
    if whole >= 1 and abs(rate_hz - whole) <= SAME_RATE * rate_hz:
        return float(whole)
    return round(rate_hz, 1)


def gap_cuts(t: np.ndarray, period: float, max_gap_periods: float = MAX_GAP_PERIODS) -> np.ndarray:
    """Indices where a new gap-free part starts (the sample after each gap)."""
    return np.flatnonzero(np.diff(t) > max_gap_periods * period) + 1


def gap_seconds(rate_hz: float, max_gap_periods: float = MAX_GAP_PERIODS) -> float:
    """The longest step that is not a gap, for a stream at `rate_hz`."""
    return max_gap_periods / rate_hz


def most_common_rate(rates: Sequence[float]) -> float:
    """The rate most sessions have (ties: the higher rate, so nothing is thrown away)."""
    counts = Counter(rates)
    return max(counts, key=lambda rate: (counts[rate], rate))


def check_max_gap_periods(value: object, key: str) -> float:
    """`value` as a number of periods > 1 (a step of one period is never a gap)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 1:
        raise ConfigError(
            f"{key}={value!r}: expected a number of sample periods > 1 (default {MAX_GAP_PERIODS:g})"
        )
    return float(value)
