"""Counted, guarded boto3 clients: every call is tallied by operation and must be declared."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

from ..shared import ApiCallCounter
from .calls import is_declared

USER_AGENT = "infraaudit"


class UndeclaredCallError(RuntimeError):
    """A programming error: the collector called an API that calls.py does not declare."""


def _timestamp(value: Any) -> datetime:
    """botocore's default turns every timestamp into local time through dateutil: half of the
    client's CPU on 14 days of hourly metrics. CloudWatch's CBOR answers carry epoch seconds."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return parse_timestamp(value)  # type: ignore[no-any-return]


def new_session(profile: str | None = None, **credentials: str) -> boto3.Session:
    """A boto3 session whose responses parse timestamps as UTC, cheaply (see _timestamp)."""
    core = botocore.session.Session(profile=profile)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    return boto3.Session(botocore_session=core, **credentials)


def client_config(max_attempts: int = 8, read_timeout: float = 60.0, pool: int = 10) -> Config:
    # Adaptive retries back off on throttling across the threads that share a client.
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=10,
        read_timeout=read_timeout,
        max_pool_connections=pool,
        user_agent_extra=USER_AGENT,
    )


class ClientFactory:
    """Creates clients for one session; boto3 sessions are not thread-safe, so creation is locked."""

    def __init__(
        self, session: boto3.Session, counter: ApiCallCounter, config: Config, endpoint_url: str | None
    ) -> None:
        self.session = session
        self._counter = counter
        self._config = config
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            client = self.session.client(
                service, region_name=region, endpoint_url=self._endpoint_url, config=self._config
            )
        client.meta.events.register("before-call.*.*", self._before_call)
        return client

    def _before_call(self, event_name: str, **kwargs: Any) -> None:
        service, operation = event_name.split(".", 2)[1:]
        if not is_declared(service, operation):
            raise UndeclaredCallError(f"{service}:{operation} is not declared in audit/collect/aws/calls.py")
        self._counter.record(f"{service}:{operation}")
