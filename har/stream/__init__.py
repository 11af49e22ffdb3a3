"""Real-time tracking: a ring buffer over a sensor stream, the bundle's model every hop,
smoothing, movement events, and scoring against ground truth (`har-track`).

What other packages use is named here and imported on first use (`har.public`).
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(__name__, {"track": "cli"})
