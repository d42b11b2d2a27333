"""Runs moto_server with two CloudWatch fixes; otherwise moto unchanged.

1. Indexed GetMetricData (speed only).
moto 5.2 answers GetMetricData by scanning every stored datapoint for every period of every
query (O(queries x periods x datapoints)): 30 queries over 14 days of hourly data for a dozen
instances take minutes, and the 2,000-instance benchmark would take days. This replaces that
loop with one grouping pass and per-period buckets, and gives the same answer: same
dimension matching (moto's own sorted() and __eq__), same unit filter, same Statistics,
same result layout. tests/test_moto_fast.py checks the equivalence against moto's original.
Queries with metric math or Metrics Insights go to moto's original code.

2. ListMetrics lists each metric once, as CloudWatch does. moto 5.2 means to deduplicate but
its are_dimensions_same() compares every dimension with every other, so a metric with two or
more dimensions (every CloudWatch-agent GPU metric) is listed once per datapoint: 336 times for
14 days of hourly data, which would inflate ListMetrics pages and hide real call counts.

    python tests/support/moto_fast.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, Dimension, Statistics

ORIGINAL_GET_METRIC_DATA = CloudWatchBackend.get_metric_data


def _key(dimensions: list[Any]) -> tuple[tuple[Any, Any], ...]:
    return tuple((d.name, d.value) for d in sorted(dimensions))


def indexed_get_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    if any("MetricStat" not in query for query in queries):
        return ORIGINAL_GET_METRIC_DATA(self, queries, start_time, end_time, scan_by)
    ORIGINAL_GET_METRIC_DATA(self, [], start_time, end_time, scan_by)  # moto's own parameter validation
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    by_name_and_dimensions: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    by_namespace_and_name: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for md in self.get_all_metrics():
        if start_time <= md.timestamp < end_time:
            by_name_and_dimensions[(md.name, _key(md.dimensions))].append(md)
            by_namespace_and_name[(md.namespace, md.name)].append(md)
    results = []
    for query in queries:
        metric_stat = query["MetricStat"]
        metric = metric_stat["Metric"]
        delta = timedelta(seconds=int(metric_stat["Period"]))
        dimensions = [Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", [])]
        if dimensions:  # moto matches name and dimensions only (not the namespace) when dimensions are given
            candidates = by_name_and_dimensions.get((metric["MetricName"], _key(dimensions)), [])
        else:
            candidates = by_namespace_and_name.get((metric["Namespace"], metric["MetricName"]), [])
        unit = metric_stat.get("Unit")
        if unit:
            candidates = [md for md in candidates if md.unit == unit]
        buckets: dict[int, list[Any]] = defaultdict(list)
        for md in candidates:
            buckets[(md.timestamp - start_time) // delta].append(md)
        stat = metric_stat["Stat"]
        values: list[Any] = []
        timestamps: list[datetime] = []
        for index in sorted(buckets):
            stats = Statistics([stat], start_time + index * delta)
            stats.metric_data = buckets[index]
            values.append(stats.get_statistics_for_type(stat))
            timestamps.append(stats.timestamp)
        if scan_by == "TimestampDescending" and timestamps:
            timestamps.reverse()
            values.reverse()
        label = query.get("Label") or f"{metric['MetricName']} {stat}"
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": label,
                    "values": values,
                    "timestamps": timestamps,
                    "status_code": "Complete",
                }
            )
    return results


def deduplicated_filtered_metrics(
    self: CloudWatchBackend, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
) -> list[Any]:
    """moto's get_filtered_metrics with the duplicate check it intends: same namespace, name and
    dimension set (moto only deduplicates metrics that have dimensions; so does this)."""
    seen: set[tuple[Any, ...]] = set()
    found = []
    for md in self.get_all_metrics():
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
    CloudWatchBackend.get_filtered_metrics = deduplicated_filtered_metrics  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
