"""Runs moto_server with indexed CloudWatch reads; otherwise moto unchanged.

moto 5.2 keeps every datapoint of a region in one list and scans it for each request:
GetMetricStatistics scans all of it per call (~4 s per call at 2,000 GPU instances with 14 days
of hourly data), GetMetricData scans it for every period of every query (minutes for a dozen
instances; days for the 2,000-instance benchmark). This launcher keeps an incremental index
per series and hands each request only the datapoints of the series it can match, then lets
moto's own code (or a line-for-line equivalent) compute the answer: same matching, same
statistics, same result layout. tests/test_moto_fast.py checks the answers against moto's.

It also fixes one moto bug that distorts call counts: ListMetrics lists a metric with two or
more dimensions once per datapoint (moto's are_dimensions_same() compares every dimension with
every other), i.e. 336 times for 14 days of hourly CloudWatch-agent data. CloudWatch lists each
metric once, and so does this.

    python tests/support/moto_fast.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, Dimension, Statistics

ORIGINAL_GET_METRIC_DATA = CloudWatchBackend.get_metric_data
ORIGINAL_GET_METRIC_STATISTICS = CloudWatchBackend.get_metric_statistics

DimensionKey = tuple[tuple[Any, Any], ...]


def _key(dimensions: list[Any]) -> DimensionKey:
    """moto's get_metric_data compares sorted(dimensions) lists: keep its (odd) sort order."""
    return tuple((d.name, d.value) for d in sorted(dimensions))


class _SeriesIndex:
    """Datapoints of backend.metric_data grouped three ways, extended as put_metric_data appends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.indexed = 0
        self.by_name_and_sorted_dimensions: dict[tuple[Any, DimensionKey], list[Any]] = defaultdict(list)
        self.by_namespace_and_name: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
        self.series: dict[tuple[Any, Any], dict[frozenset[tuple[Any, Any]], list[Any]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def refresh(self, stored: list[Any]) -> None:
        if len(stored) < self.indexed:  # data was deleted: start over
            self.__init__()  # type: ignore[misc]
        for md in stored[self.indexed :]:
            self.by_name_and_sorted_dimensions[(md.name, _key(md.dimensions))].append(md)
            self.by_namespace_and_name[(md.namespace, md.name)].append(md)
            self.series[(md.namespace, md.name)][frozenset((d.name, d.value) for d in md.dimensions)].append(md)
        self.indexed = len(stored)


_INDEXES: dict[int, _SeriesIndex] = {}
_INDEXES_LOCK = threading.Lock()


def _index(backend: CloudWatchBackend) -> _SeriesIndex:
    with _INDEXES_LOCK:
        index = _INDEXES.setdefault(id(backend), _SeriesIndex())
    with index.lock:
        index.refresh(backend.metric_data)
    return index


def indexed_get_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    """moto's get_metric_data for MetricStat queries, bucketed once instead of scanned per period."""
    if any("MetricStat" not in query for query in queries) or self.aws_metric_data:
        return ORIGINAL_GET_METRIC_DATA(self, queries, start_time, end_time, scan_by)
    ORIGINAL_GET_METRIC_DATA(self, [], start_time, end_time, scan_by)  # moto's own parameter validation
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    index = _index(self)
    results = []
    for query in queries:
        metric_stat = query["MetricStat"]
        metric = metric_stat["Metric"]
        delta = timedelta(seconds=int(metric_stat["Period"]))
        dimensions = [Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", [])]
        if dimensions:  # moto matches name and dimensions only (not the namespace) when dimensions are given
            candidates = index.by_name_and_sorted_dimensions.get((metric["MetricName"], _key(dimensions)), [])
        else:
            candidates = index.by_namespace_and_name.get((metric["Namespace"], metric["MetricName"]), [])
        unit = metric_stat.get("Unit")
        buckets: dict[int, list[Any]] = defaultdict(list)
        for md in candidates:
            if start_time <= md.timestamp < end_time and (not unit or md.unit == unit):
                buckets[(md.timestamp - start_time) // delta].append(md)
        stat = metric_stat["Stat"]
        values: list[Any] = []
        timestamps: list[datetime] = []
        for bucket in sorted(buckets):
            stats = Statistics([stat], start_time + bucket * delta)
            stats.metric_data = buckets[bucket]
            values.append(stats.get_statistics_for_type(stat))
            timestamps.append(stats.timestamp)
        if scan_by == "TimestampDescending" and timestamps:
            timestamps.reverse()
            values.reverse()
        label = query.get("Label") or f"{metric['MetricName']} {stat}"
        if query.get("ReturnData", True):
            result = {"id": query["Id"], "label": label, "values": values, "timestamps": timestamps}
            results.append({**result, "status_code": "Complete"})
    return results


def indexed_get_metric_statistics(
    self: CloudWatchBackend,
    namespace: str,
    metric_name: str,
    start_time: datetime,
    end_time: datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[Statistics]:
    """moto's own get_metric_statistics, run over the datapoints of the series that can match
    (moto's rule: every queried dimension is among the series' dimensions)."""
    if self.aws_metric_data:
        return ORIGINAL_GET_METRIC_STATISTICS(
            self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
        )
    # Every queried dimension among the series' dimensions (a query without a value matches any
    # value); moto's code then applies its own rule again to these points.
    points: list[Any] = []
    for series_dimensions, data in _index(self).series.get((namespace, metric_name), {}).items():
        names = {name for name, _ in series_dimensions}
        if all(
            (d["Name"], d.get("Value")) in series_dimensions or (d.get("Value") is None and d["Name"] in names)
            for d in dimensions
        ):
            points.extend(data)
    only_these = SimpleNamespace(get_all_metrics=lambda: points)
    return ORIGINAL_GET_METRIC_STATISTICS(  # type: ignore[arg-type]
        only_these, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
    )


def deduplicated_filtered_metrics(
    self: CloudWatchBackend, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
) -> list[Any]:
    """moto's get_filtered_metrics with the duplicate check it intends: same namespace, name and
    dimension set (moto only deduplicates metrics that have dimensions; so does this)."""
    if namespace and metric_name and not self.aws_metric_data:
        found: list[Any] = []
        for series_dimensions, data in _index(self).series.get((namespace, metric_name), {}).items():
            candidates = data if not series_dimensions else data[:1]  # one entry per series
            found.extend(md for md in candidates if md.filter(namespace, metric_name, dimensions))
        return found
    seen: set[tuple[Any, ...]] = set()
    found = []
    for md in self.get_all_metrics():  # without namespace and name: scan everything
        if not md.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
            continue
        key = (md.namespace, md.name, frozenset((d.name, d.value) for d in md.dimensions))
        if md.dimensions and key in seen:
            continue
        seen.add(key)
        found.append(md)
    return found


def install() -> None:
    CloudWatchBackend.get_metric_data = indexed_get_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_statistics = indexed_get_metric_statistics  # type: ignore[method-assign]
    CloudWatchBackend.get_filtered_metrics = deduplicated_filtered_metrics  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
