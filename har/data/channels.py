"""Declared channels: their names, sensor triads, canonical units and unit conversion.

`data.channels` lists the channels a run uses, in order (default `ax ay az gx gy gz`). A
channel is named `<sensor><axis>`; the sensor's first letter says what it measures and the
unit har keeps it in:

    a...   acceleration     g        (ax ay az; a2x a2y a2z for a second accelerometer)
    g...   angular rate     rad/s    (gx gy gz)
    m...   magnetic field   uT       (mx my mz)

Any other name is a free channel (a temperature, a pressure), kept in the unit it was
recorded in. Three channels `<sensor>x <sensor>y <sensor>z` form a triad: augmentation that
rotates the sensor acts on every triad present.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from har.errors import UserError

DEFAULT_CHANNELS: tuple[str, ...] = ("ax", "ay", "az", "gx", "gy", "gz")
KIND_UNITS = {"a": "g", "g": "rad/s", "m": "uT"}
KIND_NAMES = {"a": "acceleration", "g": "angular rate", "m": "magnetic field"}
AXES = ("x", "y", "z")
STANDARD_GRAVITY = 9.80665  # m/s^2 per g

# unit -> (canonical unit, factor to multiply by)
CONVERSIONS: dict[str, tuple[str, float]] = {
    "g": ("g", 1.0),
    "mg": ("g", 1e-3),
    "m/s^2": ("g", 1 / STANDARD_GRAVITY),
    "m/s2": ("g", 1 / STANDARD_GRAVITY),
    "rad/s": ("rad/s", 1.0),
    "deg/s": ("rad/s", math.pi / 180),
    "uT": ("uT", 1.0),
    "mT": ("uT", 1e3),
    "nT": ("uT", 1e-3),
}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ChannelError(UserError, ValueError):
    """A bad channel list or unit; the message names the key."""


def check_channels(channels: Sequence[str], key: str = "data.channels") -> tuple[str, ...]:
    """The channel names as a tuple; refuses an empty list, repeats and names that are not words."""
    names = tuple(str(c) for c in channels)
    if not names:
        raise ChannelError(f"{key}: no channels; list at least one (default: {' '.join(DEFAULT_CHANNELS)})")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise ChannelError(f"{key}: channel(s) {', '.join(repeated)} listed twice")
    bad = [c for c in names if not _NAME.match(c) or c in ("t", "label")]
    if bad:
        raise ChannelError(
            f"{key}: {', '.join(map(repr, bad))} cannot name a channel (a letter, then letters, digits or _; "
            "not t or label)"
        )
    return names


def canonical_unit(channel: str) -> str | None:
    """The unit har keeps `channel` in, or None for a free channel."""
    return KIND_UNITS.get(channel[0].lower()) if _axis(channel) else None


def units_of(channels: Sequence[str], declared: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each channel's unit once loaded: canonical, or for a free channel its declared unit ('' if none)."""
    declared = declared or {}
    return {c: canonical_unit(c) or str(declared.get(c, "")) for c in channels}


def conversion_factor(channel: str, unit: str, key: str) -> float:
    """What to multiply `channel` recorded in `unit` by to get its canonical unit.

    Raises:
        ChannelError: naming `key`, for a unit that is not one of `channel`'s kind.
    """
    canonical = canonical_unit(channel)
    if canonical is None:
        return 1.0  # a free channel stays in the unit it was recorded in
    target, factor = CONVERSIONS.get(str(unit), (None, 0.0))
    if target != canonical:
        accepted = [u for u, (to, _) in CONVERSIONS.items() if to == canonical]
        raise ChannelError(
            f"{key}={unit!r}: not a unit of {KIND_NAMES[channel[0].lower()]} "
            f"(accepted: {', '.join(accepted)}; har keeps {channel} in {canonical})"
        )
    return factor


def time_factor(unit: str, key: str) -> float:
    """Seconds per unit of the time column."""
    if unit not in TIME_UNITS:
        raise ChannelError(f"{key}={unit!r}: expected one of {', '.join(TIME_UNITS)}")
    return TIME_UNITS[unit]


def triads(channels: Sequence[str]) -> list[tuple[int, int, int]]:
    """Indices (x, y, z) of every complete sensor triad, in channel order of their x."""
    index = {c: i for i, c in enumerate(channels)}
    found = []
    for channel in channels:
        if channel.endswith("x") and canonical_unit(channel) is not None:
            sensor = channel[:-1]
            if all(sensor + axis in index for axis in AXES):
                found.append(tuple(index[sensor + axis] for axis in AXES))
    return found  # type: ignore[return-value]


def sensor_groups(channels: Sequence[str], units: Mapping[str, str]) -> list[tuple[str, list[int], str]]:
    """Channels grouped by sensor for plots: (sensor name, channel indices, unit), in order."""
    groups: dict[str, list[int]] = {}
    for number, channel in enumerate(channels):
        sensor = channel[:-1] if _axis(channel) and canonical_unit(channel) else channel
        groups.setdefault(sensor, []).append(number)
    return [(sensor, members, units.get(channels[members[0]], "")) for sensor, members in groups.items()]


def _axis(channel: str) -> bool:
    return len(channel) >= 2 and channel[-1] in AXES
