"""`har-track bundle=<bundle> stream=sim`: track movements on a replayed sensor stream."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from har.cli_errors import exit_on_user_error
from har.config import CONF_DIR, instantiate
from har.data.rates import check_max_gap_periods, gap_seconds
from har.export.bundle import read_bundle
from har.export.inference import Predictor
from har.io import write_json
from har.stream.plot import plot_session
from har.stream.tracker import Tracker, TrackResult, terminal_status


def track(cfg: DictConfig) -> TrackResult:
    """Replay `cfg.stream` through the bundle's model; write events, summary and plot."""
    bundle = read_bundle(cfg.bundle)
    predictor = Predictor(bundle, cfg.variant)
    # a file is read with the bundle's channels; every stream is then cut to them, in order
    wants_channels = {"channels": predictor.channels} if cfg.stream.get("channels", 0) is None else {}
    stream = instantiate(cfg.stream, "stream", **wants_channels).select(predictor.channels)
    tracker = Tracker(
        predictor,
        smoothing=instantiate(cfg.smoothing, "smoothing"),
        idle=cfg.events.idle,
        min_duration_s=cfg.events.min_duration_s,
        refractory_s=cfg.events.refractory_s,
        max_gap_s=gap_seconds(stream.rate_hz, check_max_gap_periods(cfg.max_gap_periods, "max_gap_periods")),
    )
    output = Path(cfg.paths.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    events_path = output / "events.jsonl"
    with open(events_path, "w") as events_file:

        def on_event(movement) -> None:
            line = json.dumps(movement.to_dict())
            events_file.write(line + "\n")
            if cfg.print_events:
                print(line, flush=True)

        result = tracker.run(
            stream,
            chunk=cfg.chunk,
            realtime=cfg.realtime,
            on_event=on_event,
            on_status=terminal_status,
            iou=cfg.events.iou,
        )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    summary = {"stream": stream.name, "bundle": str(cfg.bundle), "variant": cfg.variant, **result.summary()}
    write_json(output / "summary.json", summary)
    plot_session(stream, result, predictor.class_names, output / "session.png", seconds=cfg.plot_seconds)
    score = result.score
    print(
        f"{stream.name}: {summary['windows']} windows, {summary['events']} events {summary['counts']}; "
        f"latency p50 {summary['latency_p50_ms']:.3f} ms p95 {summary['latency_p95_ms']:.3f} ms; "
        f"real-time factor {summary['real_time_factor']:,.0f}x"
        + (
            f"; event P/R/F1 {score.precision:.3f}/{score.recall:.3f}/{score.f1:.3f} count error {score.count_error}"
            if score
            else ""
        )
        + (f"; window macro-F1 {result.window_macro_f1:.3f}" if result.window_macro_f1 is not None else "")
        + (
            f"; {result.interruptions} interruption(s), {result.dropped_samples} sample(s) dropped"
            if result.interruptions or result.dropped_samples
            else ""
        ),
        file=sys.stderr if cfg.print_events else sys.stdout,
    )
    print(f"outputs: {output}", file=sys.stderr if cfg.print_events else sys.stdout)
    return result


@hydra.main(config_path=str(CONF_DIR), config_name="track", version_base="1.3")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    track(cfg)


if __name__ == "__main__":
    main()
