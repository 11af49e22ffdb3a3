"""What a stream's truth can support, and nothing more: event F1 with onsets, counts without.

- True events with onsets (a source's events, an annotations file, per-sample labels with a
  structure such as hapt's transitions): event F1 (collar), segment F1, onset error, decision
  delay, count error (`har.stream.metrics.score`).
- Only a count (a set of 20 repetitions, a session of 10 jabs, labelled as a whole): the count
  error and the label accuracy of the events (the share labelled with the session's label).
  Event F1 and delays are not reported, and `not_reported` says why in one line: labels that
  cover a whole session put its "onset" at the start of the recording, so a delay would read
  -20,873 ms and an F1 would mean nothing.

Wherever the stream has per-sample labels, the label accuracy of the events is given too.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from har.stream.events import Movement
from har.stream.metrics import score

WHOLE_SESSION = 0.9  # a labelled run covering this share of a stream labels the session, not a movement


def session_label(stream) -> str | None:
    """The one label that covers (nearly) the whole stream, if there is one."""
    labels = getattr(stream, "labels", None)
    if labels is None or not len(labels):
        return None
    labelled = labels[labels >= 0]
    if not len(labelled):
        return None
    values, counts = np.unique(labelled, return_counts=True)
    if counts.max() < WHOLE_SESSION * len(labels):
        return None
    return stream.class_names[int(values[counts.argmax()])]


def label_accuracy(events: list[Movement], stream) -> float | None:
    """The share of events labelled as the stream is labelled where they happen (the middle of
    each event; events on unlabelled samples are left out). None without such events."""
    if not events:
        return None
    index = np.searchsorted(stream.t, [(e.onset + e.end) / 2 for e in events])
    truth = stream.labels[np.clip(index, 0, len(stream.labels) - 1)]
    hits = [e.label == stream.class_names[k] for e, k in zip(events, truth) if k >= 0]
    return float(np.mean(hits)) if hits else None


def why_no_onsets(stream) -> str | None:
    """None when the stream's truth has onsets to score events against; else the reason."""
    if not stream.truth:
        return "the stream has no true events"
    if len(stream.truth) == 1:
        label, start, end = stream.truth[0]
        if end - start >= WHOLE_SESSION * stream.duration_s:
            return (
                f"its labels cover the whole session ({label}, {start:.1f}-{end:.1f} s), "
                "not single movements, so there are no true onsets"
            )
    return None


def evaluate(
    events: list[Movement], stream, *, classes: Iterable[str], collar_s: float, min_iou: float
) -> dict:
    """The scores this stream's truth supports, and `not_reported` with the reason for the rest."""
    classes = set(classes)
    found = [e for e in events if e.label in classes]
    reason = why_no_onsets(stream)
    out: dict = {}
    if reason is None:
        out.update(score(found, stream.truth, classes=classes, collar_s=collar_s, min_iou=min_iou).to_dict())
    count = getattr(stream, "count", None)
    if count is None and reason is None:
        count = sum(1 for t in stream.truth if t[0] in classes)
    if count is not None:
        out["count"] = {"true": int(count), "found": len(found), "error": len(found) - int(count)}
        out["count"]["within1"] = abs(out["count"]["error"]) <= 1
    if getattr(stream, "labels", None) is not None:
        out["label_accuracy"] = label_accuracy(found, stream)
        label = session_label(stream) if reason is not None else None
        if label is not None:
            out["session_label"] = label
    if reason is not None:
        out["not_reported"] = f"event F1, segment F1, onset error and decision delay: {reason}"
    return out
