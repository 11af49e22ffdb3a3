"""What a running sweep prints: read from the study alone, so other machines' trials show too.

    [  3/10] done before this run (complete 3); 2 worker(s) starting
             trial   3 started
             trial   4 started
    [  4/10] trial   3 COMPLETE 0.8123  model=cnn ...  (20 epochs, 45s)  best 0.8123 | running 1 (trial 4 fold 2/3 epoch 5/20), pruned 0, failed 0 | ETA ~2m

The counter counts the trials that take one of the `n_trials` slots (`trial_slots`), so it
never passes `n_trials`; a trial whose worker stopped sending heartbeats is named at once,
with how long the sweep waits before failing and retrying it. The ETA moves with every epoch:
it comes from the epochs done and left in the running trials (`PROGRESS`), and the trials
not started yet are assumed to take as long as the finished (or the running) ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from har.sweep.storage import CONFIG_ERROR, HEARTBEAT, PROGRESS
from har.sweep.worker import takes_slot

QUIET_S = 60  # a status line when nothing else was printed for this long


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Prints a line when a trial starts, finishes or goes silent, and a status line now and then."""

    def __init__(
        self,
        study: optuna.Study,
        *,
        n_trials: int,
        workers: int,
        heartbeat_interval: float,
        heartbeat_grace: float,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self.study, self.n_trials, self.workers = study, n_trials, workers
        self.interval, self.grace, self.out = heartbeat_interval, heartbeat_grace, out
        trials = study.get_trials(deepcopy=False)
        self.states = {t.number: t.state for t in trials}
        self.done = sum(1 for t in trials if t.state.is_finished() and takes_slot(t))
        self.seconds: list[float] = []  # durations of the trials finished in this run
        self.best: float | None = None  # of the trials reported so far (single objective)
        for trial in trials:
            self._keep_best(trial)
        self.silent: set[int] = set()
        self.started = self.last_line = time.time()
        before = f"done before this run ({self._states(trials)})" if trials else "a new study"
        self.out(f"[{self._counter()}] {before}; {workers} worker(s) starting")

    def update(self) -> None:
        """Report what changed since the last call."""
        trials = sorted(self.study.get_trials(deepcopy=False), key=lambda t: t.number)
        for trial in trials:
            if self.states.get(trial.number) == trial.state:
                continue
            self.states[trial.number] = trial.state
            if trial.state == TrialState.RUNNING:
                retry = trial.user_attrs.get("retry_of")
                self._say(
                    f"         trial {trial.number:>3} started"
                    + (f" (retry of {retry})" if retry is not None else "")
                )
            elif trial.state.is_finished():
                self._finished(trial, trials)
        now = time.time()
        for trial in trials:
            if trial.state != TrialState.RUNNING or trial.number in self.silent:
                continue
            stamp = trial.system_attrs.get(HEARTBEAT) or (
                trial.datetime_start.timestamp() if trial.datetime_start else now
            )
            if now - stamp > 3 * self.interval:
                self.silent.add(trial.number)
                self._say(
                    f"         trial {trial.number:>3} has sent no heartbeat for {duration(now - stamp)} (its worker "
                    f"died?): it is failed and retried once {self.grace:.0f} s pass (sweep.heartbeat.grace)"
                )
        if now - self.last_line > QUIET_S:
            self._say(f"[{self._counter()}] {self._status(trials)}, elapsed {duration(now - self.started)}")

    def _finished(self, trial: FrozenTrial, trials: list[FrozenTrial]) -> None:
        """The trial's line; counted, and its value and duration kept, in the order reported."""
        if takes_slot(trial):
            self.done += 1
        seconds = None
        if trial.datetime_start and trial.datetime_complete:
            seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
            self.seconds.append(seconds)
        self._keep_best(trial)
        value = f"{trial.values[0]:.4f}" if trial.values else "-"
        if trial.state == TrialState.FAIL:
            kind = "config error, takes no slot: " if trial.system_attrs.get(CONFIG_ERROR) else ""
            detail = kind + str(trial.user_attrs.get("error", ""))[:160]
        else:
            epochs = trial.user_attrs.get("epochs_trained")
            detail = ", ".join(
                [*([f"{epochs} epochs"] if epochs is not None else []), duration(seconds) if seconds else "-"]
            )
        best = f"best {self.best:.4f} " if self.best is not None else ""
        self._say(
            f"[{self._counter()}] trial {trial.number:>3} {trial.state.name:<8} {value}  "
            f"{' '.join(trial.user_attrs.get('overrides', []))}  ({detail})  {best}| {self._status(trials)}"
        )

    def _keep_best(self, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE and trial.values and len(self.study.directions) == 1:
            better = max if self.study.direction == optuna.study.StudyDirection.MAXIMIZE else min
            self.best = trial.values[0] if self.best is None else better(self.best, trial.values[0])

    def _counter(self) -> str:
        return f"{min(self.done, self.n_trials):>3}/{self.n_trials}"

    def _status(self, trials: list[FrozenTrial]) -> str:
        running = [t for t in trials if t.state == TrialState.RUNNING]
        places = [f"trial {t.number} {place}" for t in running if (place := self._place(t))]
        pruned = sum(1 for t in trials if t.state == TrialState.PRUNED)
        failed = sum(1 for t in trials if t.state == TrialState.FAIL)
        where = f" ({'; '.join(places)})" if places else ""
        return f"running {len(running)}{where}, pruned {pruned}, failed {failed} | ETA {self._eta(running)}"

    @staticmethod
    def _place(trial: FrozenTrial) -> str:
        """`fold 2/3 epoch 5/20` (or `epoch 5/20`, `refit epoch 3/20`) of a running trial."""
        state = trial.system_attrs.get(PROGRESS) or {}
        fold = state.get("fold")
        prefix = "" if fold is None else ("refit " if fold == "refit" else f"fold {fold} ")
        return f"{prefix}epoch {state['epoch']}" if "epoch" in state else ""

    def _eta(self, running: list[FrozenTrial]) -> str:
        """Seconds left in the running trials (by their epochs done and left), plus the trials
        not started, each as long as a finished trial (or a running one, extrapolated)."""
        now = time.time()
        left, whole = 0.0, list(self.seconds)
        for trial in running:
            state = trial.system_attrs.get(PROGRESS) or {}
            elapsed = now - trial.datetime_start.timestamp() if trial.datetime_start else 0.0
            if state.get("done") and elapsed > 0:
                per_epoch = elapsed / state["done"]
                left += per_epoch * state["left"]
                if not self.seconds:
                    whole.append(per_epoch * (state["done"] + state["left"]))
            elif self.seconds:  # no epochs to go by (a dry run): as long as a finished trial
                left += max(0.0, sum(self.seconds) / len(self.seconds) - elapsed)
        if not whole:
            return "after the first trial" if not self.seconds else "-"
        waiting = max(0, self.n_trials - self.done - len(running))
        if not waiting and not running:
            return "-"
        total = left + waiting * sum(whole) / len(whole)
        return "~" + duration(total / max(1, min(self.workers, waiting + len(running))))

    @staticmethod
    def _states(trials: list[FrozenTrial]) -> str:
        counts = {s.name.lower(): sum(1 for t in trials if t.state == s) for s in TrialState}
        return ", ".join(f"{k} {v}" for k, v in counts.items() if v)

    def _say(self, line: str) -> None:
        self.last_line = time.time()
        self.out(line)
