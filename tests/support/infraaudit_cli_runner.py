"""Run the real entry point in-process outside a function-scoped fixture (module-scoped scans)."""

from __future__ import annotations

import contextlib
import io

from infraaudit.cli.main import main


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exited:
            return int(exited.code or 0), out.getvalue(), err.getvalue()
    raise AssertionError("main() returned without exiting")
