"""Study storage (an embedded journal file, or any SQLAlchemy URL) and trial heartbeats.

Heartbeats are har's own, the same for every backend (Optuna 5's journal storage has none):
a thread stamps the running trial every `interval` seconds; any worker that starts a trial
first fails the RUNNING trials whose stamp is older than `grace` seconds (their worker died)
and queues each one once more with the same parameters. A worker whose trial hit a device
error fails and queues it the same way (`fail_and_retry`) before it exits.
"""

from __future__ import annotations

import difflib
import threading
import time
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.trial import TrialState

from har.config import ConfigError, materialise

SETTINGS = "har:settings"  # what the study was started with (`har.sweep.settings`)
HEARTBEAT = "har:heartbeat"
RETRY_OF = "har:retry_of"
RETRIED = "har:retried"  # on a failed trial whose retry was queued (value: why): the retry takes its place
CONFIG_ERROR = "har:config_error"  # on a trial failed by a config error: it takes no slot
# A running trial's place in its schedule, rewritten after every epoch (`objective._Progress`):
# {fold, epoch, done, left}; what the sweep's progress shows and its ETA comes from.
PROGRESS = "har:progress"
SCHEMA_ATTEMPTS = 5  # tries to open a database whose schema another process may be creating


def make_storage(url: str | None, journal: Path) -> BaseStorage:
    """`url` None: a journal file at `journal` (safe for several processes on one machine)."""
    if not url:
        journal.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal))))
    from sqlalchemy.exc import IntegrityError

    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            return RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
        except IntegrityError as error:
            # Machines started at once on a new database all create Optuna's tables: one
            # wins, the others fail on a duplicate type or row and find the tables next time.
            if attempt == SCHEMA_ATTEMPTS - 1:
                raise ConfigError(_cannot_open(url, error)) from None
            time.sleep(0.2 * (attempt + 1))
        except Exception as error:  # sqlalchemy and drivers raise many types
            raise ConfigError(_cannot_open(url, error)) from None
    raise AssertionError("unreachable")


def _cannot_open(url: str, error: Exception) -> str:
    return f"sweep.storage={_redact(url)}: cannot open ({type(error).__name__}: {str(error).splitlines()[0]})"


def check_study_exists(storage: str, study: str) -> None:
    """Refuse a storage that is not there or holds no study `study`, naming the ones it holds.

    A journal path that does not exist is refused before anything opens it (opening would
    create an empty journal file).
    """
    journal = None if "://" in storage else Path(storage)
    if journal is not None and not journal.is_file():
        raise ConfigError(
            f"storage={storage}: no such journal file (a sweep writes <sweep folder>/journal.log)"
        )
    names = optuna.get_all_study_names(make_storage(None if journal else storage, journal or Path()))
    if study not in names:
        close = difflib.get_close_matches(study, names, n=1)
        hint = f"; did you mean study={close[0]}?" if close else ""
        raise ConfigError(
            f"study={study}: no such study in {_redact(storage)}{hint} (studies there: {', '.join(names) or 'none'})"
        )


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


class Heartbeat:
    """Stamp a trial every `interval` seconds from a daemon thread, while in a `with` block."""

    def __init__(self, storage: BaseStorage, trial_id: int, interval: float) -> None:
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stop.is_set():
            try:
                self.storage.set_trial_system_attr(self.trial_id, HEARTBEAT, time.time())
            except Exception:  # the trial finished meanwhile; nothing to stamp
                return
            self.stop.wait(self.interval)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def fail_stale_trials(study: optuna.Study, grace: float, max_retry: int = 1) -> list[int]:
    """FAIL RUNNING trials without a heartbeat for `grace` seconds; queue a retry of each.

    Returns the numbers of the trials failed here. Two workers may race on the same stale
    trial; only the one whose state change succeeds queues the retry.
    """
    now = time.time()
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        stamp = trial.system_attrs.get(HEARTBEAT)
        started = trial.datetime_start.timestamp() if trial.datetime_start else now
        if now - (stamp if stamp is not None else started) <= grace:
            continue
        reason = f"worker stopped sending heartbeats for over {grace:.0f} s (killed?)"
        if fail_and_retry(study, trial, reason, "heartbeat", max_retry):
            failed.append(trial.number)
    return failed


def fail_and_retry(
    study: optuna.Study, trial: optuna.trial.FrozenTrial, reason: str, kind: str, max_retry: int
) -> bool:
    """FAIL a RUNNING trial with `reason`; queue it once more with its parameters, up to `max_retry`.

    `kind` (`heartbeat`, `device error`) is stored in the failed trial's `RETRIED` attribute
    when a retry is queued: that trial then frees its slot (`har.sweep.worker.takes_slot`).
    Returns False when another process finished or failed the trial first.
    """
    storage = study._storage
    original = trial.system_attrs.get(RETRY_OF, trial.number)
    retries = sum(1 for t in study.get_trials(deepcopy=False) if t.system_attrs.get(RETRY_OF) == original)
    retry = retries < max_retry
    try:  # annotate first: a finished trial cannot be annotated
        storage.set_trial_user_attr(trial._trial_id, "error", reason)
        if retry:
            storage.set_trial_system_attr(trial._trial_id, RETRIED, kind)
        if not storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
            return False
    except RuntimeError:  # another worker finished or failed it first
        return False
    if retry:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": original}, skip_if_exists=False)
        # mark the queued trial so its own retries count against the same original
        waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))[-1]
        storage.set_trial_system_attr(waiting._trial_id, RETRY_OF, original)
    return True


def study_config_dirs(study: optuna.Study) -> list[str]:
    """The study's `--config-dir` folders, made anew in this process from the study's own copy.

    A worker on another machine, or a resume, composes its trials from these, so every trial
    of the study sees the same configs without a shared file system.
    """
    return [str(path) for path in materialise(study.user_attrs.get(SETTINGS, {}).get("config_dir", []))]
