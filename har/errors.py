"""The base of every error a user can fix: entry points print it as one line and exit 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, config or artifact; the message names the file, key or value at fault."""
