"""The comparison table: rich on the terminal, markdown in the bundle."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from har.export.evaluate import VariantReport

CPU_NOTE = (
    "On this CPU, LiteRT expands float16 weights to float32 when it loads the model: float16 "
    "halves the file (and the download), not the latency. Phones with float16 GPU/NPU delegates "
    "can run it natively."
)


def _row(report: VariantReport) -> list[str]:
    return [
        report.name,
        f"{report.size_bytes / 1024:.0f}",
        f"{report.accuracy:.4f}",
        f"{report.macro_f1:.4f}",
        f"{report.agreement:.4f}",
        f"{report.max_abs_delta:.2e}",
        f"{report.mean_abs_delta:.2e}",
        f"{report.latency_p50_ms:.3f}",
        f"{report.latency_p95_ms:.3f}",
        f"{report.throughput_windows_s:,.0f}",
    ]


HEADER = [
    "variant",
    "size kB",
    "accuracy",
    "macro-F1",
    "agreement",
    "max |Δp|",
    "mean |Δp|",
    "p50 ms",
    "p95 ms",
    "windows/s",
]


def print_table(reports: list[VariantReport]) -> None:
    table = Table(title="test split: Keras vs TFLite variants (LiteRT, 1 thread)")
    for column in HEADER:
        table.add_column(column, justify="left" if column == "variant" else "right")
    for report in reports:
        table.add_row(*_row(report))
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a log file or pipe: do not squeeze the table to 80 columns
    console.print(table)


def comparison_markdown(reports: list[VariantReport], subjects: dict, n_windows: int, run_dir: Path) -> str:
    lines = [
        "# Keras vs TFLite variants",
        "",
        f"Source run: `{run_dir}`. Test split: {n_windows} windows of subjects {' '.join(subjects['test'])} "
        "(split by subject). Agreement and |Δp| are against the Keras model's probabilities. "
        "Latency: one window per call, 1 thread, LiteRT interpreter, after warm-up.",
        *(
            [
                "`ensemble_*`: the run's fold models averaged in one graph (each fold's normalisation "
                f"inside it; {reports[-1].extra.get('parameters', '?'):,} parameters), compared with its own Keras model."
            ]
            if any(r.name.startswith("ensemble_") for r in reports)
            else []
        ),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(_row(r)) + " |" for r in reports),
        "",
        "## Per-class F1",
        "",
        "| variant | " + " | ".join(reports[0].per_class_f1) + " |",
        "|---|" + "---|" * len(reports[0].per_class_f1),
        *(f"| {r.name} | " + " | ".join(f"{v:.4f}" for v in r.per_class_f1.values()) + " |" for r in reports),
        "",
        CPU_NOTE,
        "",
    ]
    return "\n".join(lines)
