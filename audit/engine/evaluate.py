"""Evaluating an inventory against the policy library through OPA's REST API.

One POST per chunk of resources to the engine's entrypoint (every rule package's `deny` set),
chunks sent concurrently so OPA can use every core. Any failure raises EngineError: a policy
gate that cannot evaluate must never report "all clear".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client.opa import OpaClient
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ..errors import EngineError
from ..gcpause import paused_gc
from ..models import Finding, Inventory, PolicyMeta, PolicySource, Resource, RuleOutput
from .library import ENTRYPOINT_PATH

DEFAULT_CHUNK_SIZE = 2_000
DEFAULT_TIMEOUT_S = 300.0
_RESOURCES = TypeAdapter(list[Resource])

Progress = Callable[[int, int], None]


class _Client(OpaClient):  # type: ignore[misc]  # the client ships no type hints
    """opa-python-client plus a POST of pre-serialised JSON (pydantic writes it far faster)."""

    def post_data(self, path: str, body: bytes) -> bytes:
        url = f"{self.root_url}/data/{path}?strict-builtin-errors=true"
        try:
            response = self._session.post(
                url, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise EngineError(f"policy evaluation timed out after {self.timeout:.0f}s") from exc
        except requests.RequestException as exc:
            raise EngineError(f"cannot reach OPA at {self.host}:{self.port}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise EngineError(_error_line(response))
        content: bytes = response.content
        return content


def _error_line(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"OPA answered HTTP {response.status_code}"
    errors = body.get("errors") or []
    if errors:
        first = errors[0]
        location = first.get("location") or {}
        where = f"{location.get('file', '?')}:{location.get('row', '?')}: " if location else ""
        return f"policy evaluation failed: {where}{first.get('message', body.get('message', ''))}"
    return f"policy evaluation failed: HTTP {response.status_code} {body.get('code', '')}: {body.get('message', '')}"


@dataclass(frozen=True)
class OpaEndpoint:
    """Where OPA listens: the private local server or a remote one (`--opa-url`)."""

    host: str
    port: int
    ssl: bool = False
    token: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_url(cls, url: str, token: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> OpaEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"--opa-url {url!r} must look like http(s)://host:port")
        if parts.path not in ("", "/"):
            raise EngineError(f"--opa-url {url!r} must not contain a path")
        ssl = parts.scheme == "https"
        return cls(parts.hostname, parts.port or (443 if ssl else 80), ssl=ssl, token=token, timeout_s=timeout_s)

    def client(self) -> _Client:
        return _Client(
            host=self.host, port=self.port, ssl=self.ssl, token=self.token, retries=0, timeout=self.timeout_s
        )

    def check_revision(self, expected: str) -> None:
        """A remote OPA must serve the bundle built from this library and config."""
        client = self.client()
        try:
            body = client._session.get(f"{client.root_url}/data/system/bundles", timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise EngineError(f"cannot reach OPA at {self.host}:{self.port}: {type(exc).__name__}") from exc
        finally:
            client.close_connection()
        if body.status_code in (401, 403):
            raise EngineError(
                f"OPA at {self.host}:{self.port} refused the request (HTTP {body.status_code}); check --opa-token"
            )
        try:
            bundles = body.json().get("result") or {}
        except ValueError as exc:
            raise EngineError("OPA returned a response that is not JSON") from exc
        served = sorted(str((b.get("manifest") or {}).get("revision", "")) for b in bundles.values())
        if expected not in served:
            raise EngineError(
                f"remote OPA serves bundle revision(s) {served or 'none'}, expected {expected}; "
                "rebuild it with 'infraaudit policies bundle' using the same config"
            )


class PolicyEngine:
    def __init__(
        self,
        endpoint: OpaEndpoint,
        policies: Sequence[PolicyMeta],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        workers: int | None = None,
        source: PolicySource | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.by_package = {p.package: p for p in policies}
        # `check` applies only the rules written for preview input (no telemetry there).
        self.source = source
        self.chunk_size = max(1, chunk_size)
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))

    def evaluate(self, inventory: Inventory, progress: Progress | None = None) -> list[Finding]:
        envelope = inventory.model_dump_json(exclude_none=True, exclude={"resources"})
        chunks = list(_chunks(inventory.resources, self.chunk_size)) or [[]]
        done = 0
        findings: list[Finding] = []
        clients = [self.endpoint.client() for _ in range(min(self.workers, len(chunks)))]
        pool = ThreadPoolExecutor(max_workers=len(clients), thread_name_prefix="opa-query")
        try:
            futures = [
                pool.submit(self._evaluate_chunk, clients[i % len(clients)], envelope, chunk)
                for i, chunk in enumerate(chunks)
            ]
            with paused_gc():  # many Finding models are built; see audit.gcpause
                for future, chunk in zip(futures, chunks, strict=True):
                    findings.extend(future.result())
                    done += len(chunk)
                    if progress:
                        progress(done, len(inventory.resources))
        finally:
            # Do not wait for queries in flight (Ctrl-C, an error in another chunk): the caller
            # stops OPA next, which ends them.
            pool.shutdown(wait=False, cancel_futures=True)
            for client in clients:
                client.close_connection()
        return findings

    def _evaluate_chunk(self, client: _Client, envelope: str, chunk: list[Resource]) -> list[Finding]:
        resources = _RESOURCES.dump_json(chunk, exclude_none=True)
        body = b'{"input":' + envelope[:-1].encode() + b',"resources":' + resources + b"}}"
        try:
            answer = _ANSWER.validate_json(client.post_data(ENTRYPOINT_PATH, body))
        except ValidationError as exc:
            raise EngineError(self._malformed(exc)) from exc
        if answer.result is None:
            raise EngineError("the policy entrypoint is undefined: OPA is not serving the infraaudit library")
        return [
            finding
            for package, outputs in answer.result.items()
            if self._applies(package)
            for finding in self._findings(package, outputs)
        ]

    def _applies(self, package: str) -> bool:
        meta = self.by_package.get(package)
        return meta is None or self.source is None or self.source in meta.sources  # unknown: _findings raises

    def _findings(self, package: str, outputs: list[RuleOutput]) -> list[Finding]:
        meta = self.by_package.get(package)
        if meta is None:
            raise EngineError(f"package {package} produced findings but has no METADATA with custom.id")
        common: dict[str, Any] = {
            "rule_id": meta.id,
            "title": meta.title,
            "severity": meta.severity,
            "category": meta.category,
            "remediation": meta.remediation,
            "suppression": None,
        }
        # Every part is validated already (RuleOutput from JSON, meta from METADATA): construct directly.
        return [Finding.model_construct(**common, **output.__dict__) for output in outputs]

    def _malformed(self, exc: ValidationError) -> str:
        error = exc.errors()[0]
        location = list(error["loc"])
        if error["type"] == "json_invalid" or location[:1] != ["result"] or len(location) < 2:
            return f"OPA returned an unreadable answer: {error['msg']}"
        package = str(location[1])
        meta = self.by_package.get(package)
        rule = f"{meta.id} ({meta.file})" if meta else package
        field = ".".join(str(p) for p in location[3:]) or "(the finding)"
        return f"{rule} returned a malformed finding: {field}: {error['msg']}"


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    result: dict[str, list[RuleOutput]] | None = None


_ANSWER = TypeAdapter(_Answer)


def _chunks(items: Sequence[Resource], size: int) -> Iterator[list[Resource]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
