"""How a command ends: user errors as one line and exit code 2, interruptions said plainly.

A `UserError` (bad config, input or artifact) prints `error: <message>` on one line and exits
2; an error with its own `exit_code` (the export guard: 3) likewise. A message that lists
several problems (a csv folder's: a count, then one indented line per problem) keeps one
line per problem. Ctrl-C and SIGTERM stop
the work through Python's exception path, so open W&B runs are finished (as failed, not left
running) and the command says that its output folder is unfinished; SIGKILL cannot be caught.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from har.errors import UserError

INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}  # the shell's 128 + signal number


def message(error: BaseException) -> str:
    """The error's message on one line, plus one line per item it lists (lines after `\n  `).

    Any other line break (a wrapped message from a library) is folded into its line.
    """
    head, *items = str(error).split("\n  ")
    return "\n".join([" ".join(head.split()), *("  " + " ".join(item.split()) for item in items)])


@contextmanager
def terminate_as_interrupt() -> Iterator[list[int]]:
    """Within the block, SIGTERM raises KeyboardInterrupt like Ctrl-C; yields the signals seen."""
    seen: list[int] = []

    def interrupt(number: int, frame: Any) -> None:
        seen.append(number)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_reporting(work: Callable[[], Any], *, output: Callable[[], str | None] = lambda: None) -> int:
    """Run `work`; return the exit code, printing one line for an error or an interruption.

    Args:
        work: the command's checks and work.
        output: the output folder to name when the work is interrupted (None: nothing to say).
    """
    try:
        with terminate_as_interrupt() as seen:
            work()
    except UserError as error:
        print(f"error: {message(error)}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        code = INTERRUPTED[signal.SIGTERM] if seen else INTERRUPTED[signal.SIGINT]
        folder = output()
        where = f"; what it wrote so far is in {folder}, unfinished" if folder else ""
        print(f"\nstopped: interrupted{where}", file=sys.stderr, flush=True)
        return code
    except Exception as error:
        if not isinstance(getattr(error, "exit_code", None), int):
            raise
        print(f"error: {message(error)}", file=sys.stderr, flush=True)
        return error.exit_code  # type: ignore[attr-defined]
    return 0
