"""Summary tables written twice from the same cells: Markdown (for reading) and LaTeX booktabs
(for a paper), so the two can never disagree.

No LaTeX package beyond `booktabs` is needed; the writer is a few lines rather than a
dependency (pandas' `to_latex` needs jinja2, which har does not install).
"""

from __future__ import annotations

import re
from typing import Any

# Characters LaTeX treats as commands, and the typographic characters summaries use.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SYMBOLS = {"`": "", "±": r"$\pm$", "–": "--", "−": "$-$", "×": r"$\times$", "≥": r"$\geq$", "≤": r"$\leq$"}
_PATTERN = re.compile("|".join(re.escape(c) for c in [*_ESCAPES, *_SYMBOLS]))
_NUMBER = re.compile(r"^[+\-−]?\d")


def latex_escape(text: Any) -> str:
    """`text` with LaTeX's special characters escaped and ± – − × written as LaTeX."""
    return _PATTERN.sub(lambda m: _ESCAPES.get(m.group(), _SYMBOLS.get(m.group(), "")), str(text))


def markdown(columns: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table, one line per row."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def booktabs(columns: list[str], rows: list[list[Any]], *, caption: str = "", label: str = "") -> str:
    """A LaTeX `table` with a booktabs `tabular` (\\toprule, \\midrule, \\bottomrule).

    Columns whose every cell starts with a number are right-aligned, the others left-aligned.
    Needs `\\usepackage{booktabs}` in the paper's preamble.
    """
    align = "".join(
        "r" if rows and all(_NUMBER.match(str(row[i]).strip()) for row in rows) else "l"
        for i in range(len(columns))
    )
    lines = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        lines.append(f"\\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(f"\\label{{{label}}}")
    lines += [
        f"\\begin{{tabular}}{{{align}}}",
        "\\toprule",
        " & ".join(latex_escape(c) for c in columns) + " \\\\",
        "\\midrule",
        *(" & ".join(latex_escape(cell) for cell in row) + " \\\\" for row in rows),
        "\\bottomrule",
        "\\end{tabular}",
        "\\end{table}",
    ]
    return "\n".join(lines) + "\n"
