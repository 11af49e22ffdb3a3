"""`decoder=viterbi`: an HMM over window posteriors, decoded online with a fixed lag.

States are the model's classes. Emission scores are the window posteriors divided by the
class priors (scaled likelihoods, `prior_weight` of them), transition scores the switching
model learnt from train labels (`har.stream.switching`), weighted by `switch_weight`. Each
window's class is decided `lag` windows later, by backtracking from the best current state:
the stream is decoded with a fixed, stated delay of `lag` hops, and a flicker shorter than a
switch is worth never becomes a segment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection

import numpy as np

from har.data import DataError
from har.export import Predictor
from har.stream.events import Movement
from har.stream.switching import SwitchingModel, switching_from_run
from har.stream.windows import WindowDecoder


class FixedLagViterbi:
    """Online Viterbi: each step's state is decided `lag` steps later (all of them at `finish`).

    Args:
        log_transitions: (K, K) log P(to | from), already weighted.
        log_priors: (K,) log class priors divided out of the posteriors.
        lag: steps between an observation and its decision.
    """

    def __init__(self, log_transitions: np.ndarray, log_priors: np.ndarray, *, lag: int) -> None:
        if lag < 0:
            raise ValueError(f"decoder.lag={lag}: expected >= 0 windows")
        self.log_transitions, self.log_priors, self.lag = log_transitions, log_priors, lag
        self.reset()

    def reset(self) -> None:
        self.scores: np.ndarray | None = None  # (K,) best log score ending in each state
        self.back: deque[np.ndarray] = deque(maxlen=max(self.lag, 1))  # backpointers (K,)
        self.waiting = 0  # steps not decided yet

    def step(self, probabilities: np.ndarray) -> int | None:
        """Add one posterior (K,); return the state decided for the step `lag` ago, if any."""
        emission = np.log(np.maximum(probabilities, 1e-12)) - self.log_priors
        if self.scores is None:
            self.scores = emission
        else:
            candidates = self.scores[:, None] + self.log_transitions  # (K from, K to)
            self.back.append(candidates.argmax(axis=0))
            self.scores = candidates.max(axis=0) + emission
        self.scores = self.scores - self.scores.max()  # keep the numbers small over hours
        self.waiting += 1
        if self.waiting <= self.lag:
            return None
        self.waiting -= 1
        return self._backtrack(self.lag)[-1]

    def _backtrack(self, steps: int) -> list[int]:
        """States from now back `steps` steps (newest first)."""
        states = [int(self.scores.argmax())]
        for pointers in list(self.back)[::-1][:steps]:
            states.append(int(pointers[states[-1]]))
        return states

    def finish(self) -> list[int]:
        """The states of every step still waiting, oldest first; then forget everything."""
        states = self._backtrack(self.waiting - 1)[::-1] if self.waiting else []
        self.reset()
        return states


class Viterbi(WindowDecoder):
    """Args:
    switching: `run` (learn from the train subjects of the bundle's source run) or the path
        of a `switching.json` (written next to every `har-track` summary that used one).
    lag: windows between a window and its decision (decision delay = lag x hop + chunking).
    switch_weight: multiplies the log transition probabilities (higher: fewer switches).
    prior_weight: how much of the class prior to divide out of the posteriors (0: none).
    idle, min_duration_s, refractory_s: as for `runs`, applied to the decoded labels.
    """

    def __init__(
        self,
        predictor: Predictor,
        smoothing,
        *,
        idle: Collection[str] | None = ("idle",),
        switching: str = "run",
        lag: int = 4,
        switch_weight: float = 1.0,
        prior_weight: float = 1.0,
        min_duration_s: float = 0.0,
        refractory_s: float = 0.0,
    ) -> None:
        super().__init__(
            predictor, smoothing, idle=idle, min_duration_s=min_duration_s, refractory_s=refractory_s
        )
        self.model = load_switching(switching, predictor)
        self.viterbi = FixedLagViterbi(
            switch_weight * self.model.log_transitions, prior_weight * self.model.log_priors, lag=lag
        )
        self.waiting: deque[tuple[float, np.ndarray]] = deque()  # (centre, probabilities) undecided

    def decide(self, centre: float, probabilities: np.ndarray, now: float) -> list[Movement]:
        self.waiting.append((centre, probabilities))
        state = self.viterbi.step(probabilities)
        return [] if state is None else self._emit(state, now)

    def _emit(self, state: int, now: float) -> list[Movement]:
        centre, probabilities = self.waiting.popleft()
        return self.segments.update(centre, self.class_names[state], float(probabilities[state]), now)

    def finish(self, now: float) -> list[Movement]:
        """Decide every waiting window by a full backtrack from the best final state."""
        return [event for state in self.viterbi.finish() for event in self._emit(state, now)]


def load_switching(switching: str, predictor: Predictor) -> SwitchingModel:
    """The switching model named by `decoder.switching`, checked against the bundle's classes."""
    if switching == "run":
        model = switching_from_run(predictor.manifest["source"]["run_dir"])
    else:
        model = SwitchingModel.load(switching)
    if model.class_names != predictor.class_names:
        raise DataError(
            f"decoder.switching={switching}: classes {model.class_names} are not the bundle's "
            f"{predictor.class_names}"
        )
    hop_s = predictor.hop / predictor.rate_hz
    if abs(model.hop_s - hop_s) > 1e-6:
        raise DataError(
            f"decoder.switching={switching}: learnt at a {model.hop_s} s hop, the bundle hops {hop_s} s"
        )
    return model
