"""A private `opa run --server` on 127.0.0.1, owned by this process and stopped on every exit path."""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from opa_client.opa import OpaClient

from ..errors import EngineError
from .library import TEST_SUFFIX, opa_error_line

STARTUP_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the kernel sends OPA SIGTERM if infraaudit dies without cleaning up (e.g. SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalOpaServer:
    """Context manager: start OPA with the policy folders and data, yield its port, always stop it."""

    def __init__(self, opa: Path, load_paths: Sequence[Path], policy_data: dict[str, Any]) -> None:
        self.opa = opa
        self.load_paths = list(load_paths)
        self.policy_data = policy_data
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __enter__(self) -> LocalOpaServer:
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="infraaudit-opa-")
        data_file = Path(self._workdir.name) / "data.json"
        data_file.write_text(json.dumps({"infraaudit": self.policy_data}))
        log_file = Path(self._workdir.name) / "opa.log"
        for _attempt in range(3):  # another process may grab the port between probe and bind
            self.port = _free_port()
            command = [
                str(self.opa), "run", "--server",
                "--addr", f"127.0.0.1:{self.port}",
                "--skip-version-check",
                "--log-level", "error",
                "--ignore", f"*{TEST_SUFFIX}",
                *[str(p) for p in self.load_paths],
                str(data_file),
            ]  # fmt: skip
            with log_file.open("wb") as log:
                self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent if os.name == "posix" else None,  # noqa: PLW1509
                )
            if self._wait_until_healthy(log_file):
                return
            output = log_file.read_text(errors="replace")
            if "address already in use" not in output:
                raise EngineError(_startup_error(output))
        raise EngineError("OPA could not bind a local port after 3 attempts")

    def _wait_until_healthy(self, log_file: Path) -> bool:
        """True once /health answers 200; False if OPA exited (the caller reads its log)."""
        assert self._process is not None and self.port is not None
        client = OpaClient(host="127.0.0.1", port=self.port, retries=0, timeout=1.0)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False
                if client.check_health():
                    return True
                time.sleep(0.05)
        finally:
            client.close_connection()
        raise EngineError(f"OPA did not become healthy within {STARTUP_TIMEOUT_S:.0f}s (log: {log_file})")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        atexit.unregister(self.stop)


def _startup_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip() and "root privileges" not in line]
    if not lines:
        return "OPA exited during startup without a message"
    return opa_error_line("\n".join(lines), Path("."))
