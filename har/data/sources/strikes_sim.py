"""`strikes_sim`: simulated boxing / kickboxing sessions from a wrist-worn IMU.

For tests and for the streaming demo of the original domain. Never quote accuracy on it as
real. Each strike is a sum of smooth pulses per channel, shaped after what a wrist sensor
sees: a jab is a short forward acceleration burst (~8 g) and a harder deceleration; a
cross adds torso rotation; a hook is centripetal acceleration with a large yaw rate; an
uppercut accelerates upwards while the forearm pitches; kicks are longer, with the guard
hand counter-swinging and the whole body rotating (roundhouse). Gravity (1 g), a boxer's
stance bounce, sensor noise, per-subject strength, speed and mounting angle vary by seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from har.data.recording import Event, Recording, RecordingSet

IDLE = "idle"
STRIKES = ["jab", "cross", "hook", "uppercut", "front_kick", "roundhouse"]
CLASS_NAMES = [IDLE, *STRIKES]

# Channel indices: 0-2 accel x (forward) y (lateral) z (up), in g; 3-5 gyro, in rad/s.
# Pulse: (channel, amplitude, centre as a fraction of the strike, width as a fraction).
_TEMPLATES: dict[str, list[tuple[int, float, float, float]]] = {
    "jab": [(0, 8.0, 0.30, 0.10), (0, -10.0, 0.62, 0.09), (4, 2.0, 0.40, 0.15)],
    "cross": [(0, 10.0, 0.35, 0.11), (0, -12.0, 0.66, 0.09), (5, 6.0, 0.40, 0.18), (1, 2.0, 0.4, 0.15)],
    "hook": [(1, 9.0, 0.45, 0.14), (0, 3.0, 0.35, 0.12), (5, 13.0, 0.45, 0.16), (1, -4.0, 0.78, 0.08)],
    "uppercut": [(2, 8.0, 0.40, 0.12), (2, -6.0, 0.70, 0.09), (4, -10.0, 0.45, 0.15)],
    "front_kick": [(0, -3.0, 0.35, 0.15), (2, 2.5, 0.55, 0.12), (3, 4.0, 0.45, 0.18), (0, 2.0, 0.75, 0.1)],
    "roundhouse": [(1, 4.0, 0.45, 0.2), (5, 9.0, 0.45, 0.22), (3, -3.0, 0.55, 0.15), (2, 1.5, 0.6, 0.1)],
}
# Duration range of each strike, seconds.
_DURATION_S = {
    "jab": (0.25, 0.40),
    "cross": (0.35, 0.50),
    "hook": (0.35, 0.55),
    "uppercut": (0.30, 0.50),
    "front_kick": (0.60, 0.90),
    "roundhouse": (0.70, 1.00),
}


@dataclass(frozen=True)
class _Style:
    strength: float
    speed: float
    mount: np.ndarray  # (3, 3) rotation of the sensor on the wrist
    gravity: np.ndarray  # (3,) gravity in the sensor frame in guard position


def _rotation(rng: np.random.Generator, max_angle: float) -> np.ndarray:
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = rng.uniform(-max_angle, max_angle)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def random_style(rng: np.random.Generator) -> _Style:
    gravity = np.array([0.15, -0.25, -0.95]) + rng.normal(scale=0.1, size=3)
    return _Style(
        strength=rng.uniform(0.75, 1.25),
        speed=rng.uniform(0.85, 1.15),
        mount=_rotation(rng, np.deg2rad(15)),
        gravity=gravity / np.linalg.norm(gravity),
    )


def _strike(label: str, n: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    """(n, 6) motion of one strike, without gravity or noise."""
    u = (np.arange(n) + 0.5) / n
    out = np.zeros((n, 6))
    for channel, amplitude, centre, width in _TEMPLATES[label]:
        a = amplitude * strength * rng.normal(1.0, 0.12)
        c = centre + rng.normal(0, 0.03)
        w = width * rng.uniform(0.85, 1.15)
        out[:, channel] += a * np.exp(-0.5 * ((u - c) / w) ** 2)
    return out


def _stance(duration_s: float, rate_hz: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Times (n,) and the motion (n, 6) of a boxer's stance: a ~2 Hz vertical bob, a slow guard sway."""
    n = int(round(duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    motion = np.zeros((n, 6))
    bounce_hz = rng.uniform(1.6, 2.4)
    motion[:, 2] += 0.15 * np.sin(2 * np.pi * bounce_hz * t + rng.uniform(0, 2 * np.pi))
    motion[:, 3:] += 0.25 * np.sin(2 * np.pi * 0.4 * t[:, None] + rng.uniform(0, 2 * np.pi, 3))
    return t, motion


def _add_strike(
    motion: np.ndarray, label: str, onset_s: float, *, rng, style: _Style, rate_hz: float, duration_s: float
) -> Event | None:
    """One strike of a random length added to `motion` at `onset_s`; None (nothing added) when it
    would end within 0.5 s of the session's end."""
    low, high = _DURATION_S[label]
    length = rng.uniform(low, high) / style.speed
    if onset_s + length > duration_s - 0.5:
        return None
    start, stop = int(round(onset_s * rate_hz)), int(round((onset_s + length) * rate_hz))
    motion[start:stop] += _strike(label, stop - start, rng, style.strength)
    return Event(label, start / rate_hz, stop / rate_hz)


def simulate_session(
    rng: np.random.Generator, *, duration_s: float, rate_hz: float, style: _Style
) -> tuple[np.ndarray, np.ndarray, tuple[Event, ...]]:
    """One session: signals (n, 6) float32, per-sample labels, ground-truth events."""
    t, motion = _stance(duration_s, rate_hz, rng)
    events = []
    time = rng.uniform(1.0, 2.0)
    while True:
        label = STRIKES[rng.integers(len(STRIKES))]
        event = _add_strike(motion, label, time, rng=rng, style=style, rate_hz=rate_hz, duration_s=duration_s)
        if event is None:
            break
        events.append(event)
        time = event.end_s + rng.uniform(0.4, 2.0)
    return _finish(motion, events, style, rng, t)


def _finish(motion: np.ndarray, events: list[Event], style: _Style, rng: np.random.Generator, t: np.ndarray):
    """Gravity, mounting, noise and per-sample labels on a session's motion (n, 6)."""
    n = len(motion)
    accel = motion[:, :3] + style.gravity  # gravity is felt as +1 g against the fall
    signals = np.concatenate([accel @ style.mount.T, motion[:, 3:] @ style.mount.T], axis=1)
    signals[:, :3] += rng.normal(scale=0.02, size=(n, 3))
    signals[:, 3:] += rng.normal(scale=0.05, size=(n, 3))
    labels = np.zeros(n, dtype=np.int64)  # idle
    for event in events:
        inside = (t >= event.start_s) & (t < event.end_s)
        labels[inside] = CLASS_NAMES.index(event.label)
    return signals.astype(np.float32), labels, tuple(events)


# A workout session (`kind="workout"`), as specified in experiments/counting/README.md before any
# detector was tuned on it: glove-on at the start, then parts separated by pauses.
_PUNCHES = ["jab", "cross", "hook", "uppercut"]
_PART_PROBABILITIES = {"flurry": 0.5, "single": 0.3, "guard": 0.2}
_FLURRY_STRIKES = (3, 10)  # strikes per flurry
_FLURRY_INTERVAL_S = (0.4, 0.7)  # onset to onset
_PAUSE_S = (0.8, 4.0)
_GLOVE_ON_S = (2.0, 4.0)
_GUARD_S = (0.5, 1.5)


def _slow_pulses(
    n: int, rng: np.random.Generator, accel_g: tuple, gyro: tuple, width_s: tuple, rate_hz: float
):
    """(n, 6) smooth non-strike motion: one pulse per channel of random sign, size and place."""
    t = np.arange(n) / rate_hz
    out = np.zeros((n, 6))
    for channel in range(6):
        low, high = accel_g if channel < 3 else gyro
        amplitude = rng.uniform(low, high) * rng.choice([-1, 1])
        centre, width = rng.uniform(0.2, 0.8) * n / rate_hz, rng.uniform(*width_s) / 2.5
        out[:, channel] = amplitude * np.exp(-0.5 * ((t - centre) / width) ** 2)
    return out


def simulate_workout(
    rng: np.random.Generator, *, duration_s: float, rate_hz: float, style: _Style
) -> tuple[np.ndarray, np.ndarray, tuple[Event, ...]]:
    """One workout session (flurries, single strikes, guard moves, glove-on): like `simulate_session`."""
    t, motion = _stance(duration_s, rate_hz, rng)
    n = len(t)
    glove = int(round(rng.uniform(*_GLOVE_ON_S) * rate_hz))
    motion[:glove] += _slow_pulses(glove, rng, (0.5, 1.5), (1.0, 3.0), (0.3, 0.8), rate_hz)
    events: list[Event] = []
    time = glove / rate_hz + rng.uniform(*_PAUSE_S)
    parts, weights = list(_PART_PROBABILITIES), list(_PART_PROBABILITIES.values())
    while time < duration_s - 0.5:
        part = parts[rng.choice(len(parts), p=weights)]
        if part == "guard":
            length = int(round(rng.uniform(*_GUARD_S) * rate_hz))
            start = int(round(time * rate_hz))
            if start + length > n - int(0.5 * rate_hz):
                break
            motion[start : start + length] += _slow_pulses(
                length, rng, (0.2, 0.6), (0.5, 1.5), (0.3, 0.6), rate_hz
            )
            time = (start + length) / rate_hz + rng.uniform(*_PAUSE_S)
            continue
        if part == "flurry":
            label, strikes = (
                _PUNCHES[rng.integers(len(_PUNCHES))],
                int(rng.integers(_FLURRY_STRIKES[0], _FLURRY_STRIKES[1] + 1)),
            )
        else:
            label, strikes = STRIKES[rng.integers(len(STRIKES))], 1
        onset = time
        for _ in range(strikes):
            event = _add_strike(
                motion, label, onset, rng=rng, style=style, rate_hz=rate_hz, duration_s=duration_s
            )
            if event is None:
                break
            events.append(event)
            onset = max(onset + rng.uniform(*_FLURRY_INTERVAL_S), event.end_s + 0.05)
        time = events[-1].end_s + rng.uniform(*_PAUSE_S) if events else onset + rng.uniform(*_PAUSE_S)
    return _finish(motion, events, style, rng, t)


class StrikesSimSource:
    """Seeded simulated sessions: `n_subjects` x `sessions_per_subject`, `session_s` long.

    `kind`: `single` (isolated strikes with pauses) or `workout` (flurries, single strikes,
    guard movements and glove-on between pauses; experiments/counting/README.md). Every session
    carries its strike count.
    """

    def __init__(
        self,
        *,
        n_subjects: int = 8,
        sessions_per_subject: int = 2,
        session_s: float = 60.0,
        rate_hz: float = 50.0,
        seed: int = 0,
        kind: str = "single",
    ) -> None:
        if kind not in ("single", "workout"):
            raise ValueError(f"data.source.kind={kind!r}: expected single or workout")
        if n_subjects < 3:
            raise ValueError(f"data.source.n_subjects={n_subjects}: need at least 3 (train, val, test)")
        self.n_subjects = n_subjects
        self.sessions_per_subject = sessions_per_subject
        self.session_s = session_s
        self.rate_hz = rate_hz
        self.seed = seed
        self.kind = kind

    def fingerprint(self) -> str:
        kind = "" if self.kind == "single" else f"{self.kind}:"  # single: the v1 key, caches stay valid
        return (
            f"strikes_sim:v1:{kind}{self.n_subjects}:{self.sessions_per_subject}:"
            f"{self.session_s}:{self.rate_hz}:{self.seed}"
        )

    def load(self) -> RecordingSet:
        recordings = []
        for subject in range(1, self.n_subjects + 1):
            rng = np.random.default_rng([self.seed, subject])
            style = random_style(rng)
            for session in range(self.sessions_per_subject):
                simulate = simulate_workout if self.kind == "workout" else simulate_session
                signals, labels, events = simulate(
                    rng, duration_s=self.session_s, rate_hz=self.rate_hz, style=style
                )
                recordings.append(
                    Recording(
                        signals=signals,
                        labels=labels,
                        rate_hz=self.rate_hz,
                        subject=str(subject),
                        name=f"strikes_sim seed {self.seed} subject {subject} session {session}",
                        events=events,
                        count=len(events) or None,
                    )
                )
        return RecordingSet(recordings, list(CLASS_NAMES), source="strikes_sim")
