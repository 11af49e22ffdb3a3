"""Argument checks shared by the builders, so each message names the parameter."""

from __future__ import annotations


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_positive(**values: int | float) -> None:
    for name, value in values.items():
        if not _is_number(value) or not value > 0:
            raise ValueError(f"{name}={value}: expected a positive value")


def check_rate(**values: float) -> None:
    for name, value in values.items():
        if not _is_number(value) or not 0 <= value < 1:
            raise ValueError(f"{name}={value}: expected a value in [0, 1)")


def check_length(length: int, needed: int, because: str) -> None:
    """The window must be at least `needed` samples long for this architecture."""
    if length < needed:
        raise ValueError(
            f"window of {length} samples is too short: {because} needs at least {needed} "
            "(use a longer data.window_s or a shallower model)"
        )
