"""A trial that hits a device error: its worker is replaced and the trial retried once.

The objective is `har.sweep.faults.device_error`: a dry run whose trial 1 raises TensorFlow's
real GPU out-of-memory error, after which that process fails every trial it is given (as a
process with a broken CUDA context does). Two "GPUs" come from a fake `nvidia-smi`.
"""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from har.sweep.driver import run_sweep
from har.sweep.storage import RETRIED
from har.sweep.worker import takes_slot

pytestmark = pytest.mark.faults


@pytest.mark.slow  # starts worker processes
def test_a_device_error_replaces_the_worker_and_retries_the_trial_once(
    compose_sweep, fake_nvidia_smi, capsys
):
    fake_nvidia_smi(count=2)
    result = run_sweep(
        compose_sweep(
            "sweep.objective._target_=har.sweep.faults.device_error",
            "+sweep.objective.trial_number=1",
            "+sweep.objective.seconds=0.2",
            "sweep.workers=2",
            "sweep.n_trials=6",
            "sweep.sampler._target_=har.sweep.factories.random",
            "~sweep.sampler.n_startup_trials",
        )
    )
    trials = result.study.get_trials()
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].number == 1  # the poisoned process took no other trial
    lost = failed[0]
    assert lost.user_attrs["error"].startswith(
        f"device error on {lost.user_attrs['device']}: ResourceExhaustedError: OOM"
    )
    assert lost.system_attrs[RETRIED] == "device error" and not takes_slot(lost)
    retry = [t for t in trials if t.user_attrs.get("retry_of") == 1]
    assert len(retry) == 1 and retry[0].params == lost.params and retry[0].state == TrialState.COMPLETE
    assert sum(1 for t in trials if t.state == TrialState.COMPLETE) == 6 and len(trials) == 7
    assert sum(1 for t in trials if takes_slot(t)) == 6  # exactly n_trials
    index, device = lost.user_attrs["worker"].split(":")[2], lost.user_attrs["device"]
    out = capsys.readouterr().out
    assert f"worker {index} on {device} exited after a device error; starting a replacement" in out
    log = (result.sweep_dir / "workers" / f"worker-{index}.log").read_text()
    exited = log.index(f"[worker {index}] {device} failed; exiting for a replacement")
    assert f"[worker {index}] ran" in log[exited:]  # the replacement ran, on the same slot
    assert {t.user_attrs["device"] for t in trials} <= {"gpu:0", "gpu:1"}
