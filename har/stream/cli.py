"""`har-track bundle=<bundle> stream=sim decoder=movements`: track movements on a sensor stream."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from omegaconf import DictConfig

from har.config import instantiate, to_container
from har.data import check_max_gap_periods, gap_seconds
from har.export import Predictor, check_stream, read_bundle
from har.io import write_json
from har.stream.evaluation import evaluate
from har.stream.events import event_classes
from har.stream.plot import plot_session
from har.stream.tracker import Tracker, TrackResult, terminal_status


def build_tracker(cfg: DictConfig, predictor: Predictor) -> Tracker:
    """The decoder of `cfg.decoder` (with `cfg.smoothing`, `cfg.events.idle`) in a Tracker."""
    decoder = instantiate(
        cfg.decoder,
        "decoder",
        predictor=predictor,
        smoothing=instantiate(cfg.smoothing, "smoothing"),
        idle=list(cfg.events.idle or []),
    )
    # a gap is counted in the model's sample periods, as data.source counts it (the stream must
    # be at the model's rate anyway)
    periods = check_max_gap_periods(cfg.max_gap_periods, "max_gap_periods")
    return Tracker(
        predictor, decoder, max_gap_s=gap_seconds(predictor.rate_hz, periods), keep_steps_s=cfg.plot_seconds
    )


def track(cfg: DictConfig) -> TrackResult:
    """Replay `cfg.stream` through the bundle's model and decoder; write events, summary and plot."""
    bundle = read_bundle(cfg.bundle)
    predictor = Predictor(bundle, cfg.variant)
    # file and stdin read the bundle's channels unless told otherwise; every stream is then cut
    # to the model's channels, in the model's order
    unset = "channels" in cfg.stream and not cfg.stream.channels
    stream = instantiate(cfg.stream, "stream", **({"channels": predictor.channels} if unset else {}))
    stream = stream.select(predictor.channels)
    check_stream(bundle, stream)  # before any output: a mismatch would score 0 without a word
    tracker = build_tracker(cfg, predictor)
    output = Path(cfg.paths.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    with open(output / "events.jsonl", "w") as events_file:

        def on_event(movement) -> None:
            line = json.dumps(movement.to_dict())
            events_file.write(line + "\n")
            events_file.flush()
            if cfg.print_events:
                print(line, flush=True)

        result = tracker.run(
            stream,
            chunk=cfg.chunk,
            realtime=cfg.realtime,
            on_event=on_event,
            on_status=terminal_status,
            keep_events=bool(stream.truth),  # live streams: nothing kept, memory stays flat
        )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    summary = _summary(cfg, stream, predictor, tracker, result)
    write_json(output / "summary.json", summary)
    if hasattr(stream, "signals"):  # a replayed recording (a live stream keeps no samples)
        classes = event_classes(predictor.class_names, cfg.events.idle)
        plot_session(
            stream, result, predictor, output / "session.png", classes=classes, seconds=cfg.plot_seconds
        )
    _print_summary(stream.name, summary, sys.stderr if cfg.print_events else sys.stdout)
    print(f"outputs: {output}", file=sys.stderr if cfg.print_events else sys.stdout)
    return result


def _summary(cfg: DictConfig, stream, predictor: Predictor, tracker: Tracker, result: TrackResult) -> dict:
    summary = {
        "stream": stream.name,
        "bundle": str(cfg.bundle),
        "variant": cfg.variant,
        "decoder": to_container(cfg.decoder),
        "smoothing": to_container(cfg.smoothing),
        "chunk": cfg.chunk,
        **result.summary(),
        "collar_s": cfg.events.collar_s,
        "iou": cfg.events.iou,
        "score": None,
    }
    if stream.truth or getattr(stream, "count", None) is not None:
        classes = event_classes(predictor.class_names, cfg.events.idle)
        summary["score"] = evaluate(
            result.events, stream, classes=classes, collar_s=cfg.events.collar_s, min_iou=cfg.events.iou
        )
    if hasattr(tracker.decoder, "counts_rejected"):  # movements turned down, by reason: none silently
        summary["rejected"] = tracker.decoder.counts_rejected()
        summary["detector"] = tracker.decoder.settings.to_dict()
    switching = getattr(tracker.decoder, "model", None)
    if switching is not None:  # the learnt switching costs, for an app to reuse
        summary["switching"] = write_json(
            Path(cfg.paths.output_dir) / "switching.json", switching.to_dict()
        ).name
    return summary


def _print_summary(name: str, summary: dict, file) -> None:
    line = (
        f"{name}: {summary['windows']} model calls, {summary['events']} events {summary['counts']}; "
        f"latency p50 {summary['latency_p50_ms']:.3f} ms p95 {summary['latency_p95_ms']:.3f} ms; "
        f"real-time factor {summary['real_time_factor']:,.0f}x"
    )
    s = summary["score"] or {}
    if "event_f1" in s:
        line += (
            f"; event F1 {s['event_f1']:.3f} (collar {summary['collar_s']} s), segment F1 {s['segment_f1']:.3f}, "
            f"count error {s['count_error']}"
        )
        if s["decision_delay_p95_ms"] is not None:
            line += f", decision delay p50/p95 {s['decision_delay_p50_ms']:.0f}/{s['decision_delay_p95_ms']:.0f} ms"
    if "count" in s:
        line += f"; counted {s['count']['found']} of {s['count']['true']} (error {s['count']['error']:+d})"
    if s.get("label_accuracy") is not None:
        session = f" ({s['session_label']})" if "session_label" in s else ""
        line += f"; label accuracy {s['label_accuracy']:.3f}{session}"
    if summary.get("rejected"):
        line += "; rejected: " + ", ".join(f"{n} {why}" for why, n in summary["rejected"].items())
    if summary["window_macro_f1"] is not None:
        line += f"; window macro-F1 {summary['window_macro_f1']:.3f}"
    if summary["interruptions"] or summary["dropped_samples"]:
        line += (
            f"; {summary['interruptions']} interruption(s), {summary['dropped_samples']} sample(s) dropped"
        )
    print(line, file=file)
    if s.get("not_reported"):
        print(f"not reported: {s['not_reported']}", file=file)
