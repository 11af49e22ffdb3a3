"""`har-synth`: train (or load from the cache) the VAE of a data config and report its quality.

    har-synth                       # watch, conf/synth/cvae.yaml
    har-synth data=hapt synth.seed=1 synth.fit.epochs=120

The report (`quality.json`, `quality.png`) is copied into the output folder and logged to a
W&B run (`job_type=synth`).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from har.config import instantiate, to_container
from har.data import load_windows
from har.io import write_bytes
from har.synth.quality import format_report, headline
from har.synth.store import TrainedVAE, load_or_train


def report(cfg: DictConfig) -> TrainedVAE:
    """Load the data, get the VAE (cache or train), copy and log its quality report."""
    data = load_windows(cfg.data)
    vae = load_or_train(cfg.synth, data, dataset=cfg.data.name, seed=int(cfg.synth.seed))
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("vae.json", "quality.json", "quality.png"):
        if (vae.path / name).is_file():
            write_bytes(out / name, (vae.path / name).read_bytes())
    logger = instantiate(cfg.logger, "logger")
    with logger.start(run_dir=out, name=f"synth-{vae.path.name}", config=to_container(cfg)):
        summary = {"synth/vae_cache_hit": vae.hit, "synth/fit_seconds": vae.info["seconds"]}
        if vae.quality is not None:
            quality = vae.quality
            summary.update(headline(quality))
            rows = quality["per_class_channel"]
            logger.log_table("synth/per_class_channel", list(rows[0]), [list(r.values()) for r in rows])
            logger.log_image("synth/quality", out / "quality.png")
        logger.log_summary(summary)
    state = "loaded from the cache" if vae.hit else f"trained in {vae.info['seconds']:.0f} s"
    print(
        f"VAE {vae.path} ({state}); fit on {vae.info['fit_windows']} train windows of subjects "
        f"{', '.join(vae.info['fit_subjects'])}",
        flush=True,
    )
    if vae.quality is not None:
        print(format_report(vae.quality), flush=True)
    print(f"report: {out / 'quality.json'}, {out / 'quality.png'}", flush=True)
    return vae
