"""The indexed CloudWatch in tests/support/moto_fast.py answers exactly as moto's own code."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import moto_fast
import pytest
from moto.cloudwatch.models import CloudWatchBackend, Statistics
from moto.core import DEFAULT_ACCOUNT_ID

START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def backend() -> CloudWatchBackend:
    rng = random.Random(7)
    cw = CloudWatchBackend("us-east-1", DEFAULT_ACCOUNT_ID)
    for instance in range(4):
        for hour in range(48):
            stamp = START + timedelta(hours=hour, minutes=rng.randrange(60))
            for index in range(2):
                dims = [{"Name": "InstanceId", "Value": f"i-{instance}"}, {"Name": "index", "Value": str(index)}]
                cw.put_metric_data(
                    "CWAgent",
                    [{"MetricName": "nvidia_smi_utilization_gpu", "Value": rng.uniform(0, 100), "Timestamp": stamp,
                      "Dimensions": dims, "Unit": "Percent"}],
                )  # fmt: skip
            cw.put_metric_data(
                "AWS/EC2",
                [{"MetricName": "CPUUtilization", "Value": rng.uniform(0, 100), "Timestamp": stamp,
                  "Dimensions": [{"Name": "InstanceId", "Value": f"i-{instance}"}]}],
            )  # fmt: skip
    return cw


def _queries() -> list[dict[str, object]]:
    queries: list[dict[str, object]] = []
    for n, (stat, period) in enumerate([("Average", 3600), ("Maximum", 7200), ("SampleCount", 3600), ("Sum", 600)]):
        dims = [{"Name": "InstanceId", "Value": f"i-{n}"}, {"Name": "index", "Value": "1"}]
        metric = {"Namespace": "CWAgent", "MetricName": "nvidia_smi_utilization_gpu", "Dimensions": dims}
        queries.append({"Id": f"g{n}", "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}})
        cpu = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}
        queries.append({"Id": f"c{n}", "MetricStat": {"Metric": cpu, "Period": period, "Stat": stat}})
    percent = {"Namespace": "CWAgent", "MetricName": "nvidia_smi_utilization_gpu", "Dimensions": dims}
    queries.append({"Id": "u", "MetricStat": {"Metric": percent, "Period": 3600, "Stat": "Average", "Unit": "Count"}})
    queries.append({"Id": "hidden", "ReturnData": False, "MetricStat": queries[0]["MetricStat"]})
    return queries


@pytest.mark.parametrize("scan_by", ["TimestampAscending", "TimestampDescending"])
def test_get_metric_data_matches_moto(backend: CloudWatchBackend, scan_by: str) -> None:
    args = (_queries(), START + timedelta(minutes=17), START + timedelta(hours=40), scan_by)
    original = moto_fast.ORIGINAL_GET_METRIC_DATA(backend, *args)
    indexed = moto_fast.indexed_get_metric_data(backend, *args)
    assert indexed == original
    assert sum(len(r["values"]) for r in original) > 100  # not vacuous


@pytest.mark.parametrize(
    "dimensions",
    [
        [{"Name": "InstanceId", "Value": "i-2"}],  # all GPUs of i-2 (moto's subset rule)
        [{"Name": "InstanceId", "Value": "i-2"}, {"Name": "index", "Value": "0"}],
        [{"Name": "index", "Value": "1"}],
        [{"Name": "index"}],  # any value
        [{"Name": "InstanceId", "Value": "i-9"}],  # nothing
        [],
    ],
)
@pytest.mark.parametrize(("period", "unit"), [(3600, None), (86400, "Percent"), (600, "Count")])
def test_get_metric_statistics_matches_moto(
    backend: CloudWatchBackend, dimensions: list[dict[str, str]], period: int, unit: str | None
) -> None:
    args = ("CWAgent", "nvidia_smi_utilization_gpu", START, START + timedelta(hours=47), period,
            ["Average", "Maximum", "SampleCount"], dimensions, unit)  # fmt: skip
    original = moto_fast.ORIGINAL_GET_METRIC_STATISTICS(backend, *args)
    indexed = moto_fast.indexed_get_metric_statistics(backend, *args)

    def answer(stats: list[Statistics]) -> list[tuple[object, ...]]:
        return [(s.timestamp, s.unit, s.average, s.maximum, s.sample_count, s.metric_data) for s in stats]

    assert answer(indexed) == answer(original)
    assert original or unit == "Count" or dimensions == [{"Name": "InstanceId", "Value": "i-9"}]  # not vacuous


def test_the_index_follows_new_data(backend: CloudWatchBackend) -> None:
    query = [{"Id": "n", "MetricStat": {"Metric": {"Namespace": "New", "MetricName": "m"}, "Period": 60,
                                        "Stat": "Sum"}}]  # fmt: skip
    window = (START, START + timedelta(hours=1))
    assert moto_fast.indexed_get_metric_data(backend, query, *window) == [
        {"id": "n", "label": "m Sum", "values": [], "timestamps": [], "status_code": "Complete"}
    ]
    backend.put_metric_data("New", [{"MetricName": "m", "Value": 2.0, "Timestamp": START}])
    [answer] = moto_fast.indexed_get_metric_data(backend, query, *window)
    assert answer["values"] == [2.0]
    assert answer == moto_fast.ORIGINAL_GET_METRIC_DATA(backend, query, *window)[0]


def test_list_metrics_lists_each_metric_once(backend: CloudWatchBackend) -> None:
    listed = moto_fast.deduplicated_filtered_metrics(backend, "nvidia_smi_utilization_gpu", "CWAgent", [])
    assert len(listed) == 4 * 2  # instances x GPUs, not x 48 datapoints
    one = moto_fast.deduplicated_filtered_metrics(
        backend, "nvidia_smi_utilization_gpu", "CWAgent", [{"Name": "InstanceId", "Value": "i-1"}]
    )
    assert len(one) == 2


@pytest.mark.parametrize(
    "dimensions", [[], [{"Name": "InstanceId", "Value": "i-1"}], [{"Name": "index", "Value": "0"}], [{"Name": "x"}]]
)
def test_indexed_list_metrics_matches_the_full_scan(
    backend: CloudWatchBackend, dimensions: list[dict[str, str]]
) -> None:
    backend.put_metric_data("Plain", [{"MetricName": "n", "Value": v, "Timestamp": START} for v in (1.0, 2.0)])
    for namespace, name in [("CWAgent", "nvidia_smi_utilization_gpu"), ("AWS/EC2", "CPUUtilization"), ("Plain", "n")]:
        indexed = moto_fast.deduplicated_filtered_metrics(backend, name, namespace, dimensions)
        scanned = moto_fast.deduplicated_filtered_metrics(backend, name, None, dimensions)  # type: ignore[arg-type]
        assert indexed == [md for md in scanned if md.namespace == namespace]
