"""The `tracker` command: a thin click shell over the library.

Each command parses options, calls one library function and prints its result. Errors from the
library become a one-line message and an exit code in one place (`app.TrackerGroup.invoke`).
Commands live by subject: sources, fetching, reading, maintenance, publishing, history.
"""

from __future__ import annotations

from . import (  # noqa: F401 - commands
    companion,
    evidence,
    fetching,
    history,
    maintenance,
    notify,
    publishing,
    reading,
    sources,
    storage,
)
from .app import cli

cli.add_command(history.import_)
cli.add_command(history.demo)


def main() -> None:
    cli(prog_name="tracker")
