"""Entry points turn user errors into one clear line on stderr and exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from har.config import ConfigError
from har.data.recording import DataError

F = TypeVar("F", bound=Callable[..., Any])
USER_ERRORS = (ConfigError, DataError)


def exit_on_user_error(function: F) -> F:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except USER_ERRORS as error:
            print(f"error: {error}", file=sys.stderr)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]
