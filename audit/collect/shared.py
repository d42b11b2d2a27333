"""Small pieces the live collectors (AWS, GCP) share."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from ..models import CoverageGap

T = TypeVar("T")

# Marks a resource whose telemetry could not be read (a gap): the rules must not treat it as
# "no agent installed" (see util.unknown_in in the Rego library).
UNKNOWN_UTILIZATION = "utilization"
MAX_MESSAGE = 300


def one_line(message: str, limit: int = MAX_MESSAGE) -> str:
    """A provider's error message on one line, at most `limit` characters, for a coverage gap."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most `size` items (API limits: filter values, queries per call)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def sorted_gaps(gaps: Iterable[CoverageGap]) -> list[CoverageGap]:
    """Gaps in report order: account, region, API, error code."""
    return sorted(gaps, key=lambda g: (g.account or "", g.region or "", g.api, g.error_code))


class ApiCallCounter:
    """Thread-safe tally of API calls by name (AWS `service:Operation`, GCP REST/gRPC method)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    def record(self, name: str, calls: int = 1) -> None:
        with self._lock:
            self._calls[name] += calls

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))
