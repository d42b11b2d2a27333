"""Telemetry summaries and instance mapping, on CloudWatch/EC2 answers in the APIs' own shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infraaudit.audit.collect import series
from infraaudit.audit.collect.aws import ec2, telemetry  # submodules
from infraaudit.audit.models import Market

NOW = datetime(2026, 11, 20, 12, 34, tzinfo=UTC)
WINDOW = series.Window.ending(NOW, 14)


def test_window_is_aligned_to_whole_hours() -> None:
    assert WINDOW.end == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert (WINDOW.hours, WINDOW.days) == (336, 14.0)


def test_summary_nearest_rank_p95_and_coverage() -> None:
    summary = series.summarize([float(v) for v in range(1, 101)], WINDOW)
    assert summary is not None
    assert (summary.avg, summary.p95, summary.max, summary.samples) == (50.5, 95.0, 100.0, 100)
    assert summary.coverage == round(100 / 336, 4)


def test_no_values_is_no_summary_never_zero() -> None:
    assert series.summarize([], WINDOW) is None
    assert series.summarize([float("nan")], WINDOW) is None
    assert series.utilization(None, WINDOW) is None


def test_each_instance_is_summarised_once_its_series_are_in() -> None:
    """Queries come grouped by instance, so an instance is summarised when the next one starts."""
    queries = telemetry.by_instance(
        [
            telemetry.Query("i-1", 0, telemetry.GPU_UTILIZATION, "CWAgent", (("InstanceId", "i-1"),)),
            telemetry.Query("i-2", 0, telemetry.GPU_UTILIZATION, "CWAgent", (("InstanceId", "i-2"),)),
            *telemetry.cpu_queries(["i-1", "i-2"]),
        ]
    )
    assert [q.instance_id for q in queries] == ["i-1", "i-1", "i-2", "i-2"]
    stamp = WINDOW.start
    values = [{stamp: 10.0}, {stamp: 50.0}, {stamp: 90.0}, {}]
    summaries = telemetry.summarize_instances(zip(queries, values, strict=True), WINDOW)
    one, two = summaries["i-1"].utilization, summaries["i-2"].utilization
    assert one is not None and one.gpu_percent is not None and one.gpu_percent.max == 10.0
    assert one.cpu_percent is not None and one.cpu_percent.max == 50.0
    assert two is not None and two.cpu_percent is None and two.uptime_fraction is None


def test_query_batches_hold_at_most_500() -> None:
    queries = telemetry.cpu_queries(f"i-{n}" for n in range(1201))
    assert [len(batch) for batch in telemetry.batches(queries)] == [500, 500, 201]


def test_series_for_one_gpu_are_merged_and_gpus_combined() -> None:
    hour = [WINDOW.start + timedelta(hours=h) for h in range(3)]
    dims = (("InstanceId", "i-1"), ("index", "0"))
    queries = [
        telemetry.Query("i-1", 0, telemetry.GPU_UTILIZATION, "CWAgent", dims),
        telemetry.Query("i-1", 0, telemetry.GPU_UTILIZATION, "CWAgent", (*dims, ("host", "new"))),
        telemetry.Query("i-1", 1, telemetry.GPU_UTILIZATION, "CWAgent", (("InstanceId", "i-1"), ("index", "1"))),
        telemetry.Query("i-1", 0, telemetry.GPU_MEMORY_USED, "CWAgent", dims),
        telemetry.Query("i-1", 1, telemetry.GPU_MEMORY_USED, "CWAgent", dims),
    ]
    values = [
        {hour[0]: 10.0},  # GPU 0 before the agent's config changed
        {hour[1]: 30.0},  # ... and after
        {hour[0]: 50.0, hour[1]: 70.0},
        {hour[0]: 1024.0},
        {hour[0]: 3072.0},
    ]
    summary = telemetry.summarize_instances(zip(queries, values, strict=True), WINDOW)["i-1"]
    util = summary.utilization
    assert util is not None and util.gpu_percent is not None
    assert [d.gpu_percent.samples for d in util.devices] == [2, 2]
    assert util.gpu_percent.max == 50.0  # hour 1: (30 + 70) / 2; hour 0: (10 + 50) / 2
    assert util.gpu_memory_used_gib is not None and util.gpu_memory_used_gib.max == 4.0  # 1 + 3 GiB
    assert util.cpu_percent is None and util.uptime_fraction is None


DESCRIBED = {
    "InstanceTypes": [
        {
            "InstanceType": "p5.48xlarge",
            "VCpuInfo": {"DefaultVCpus": 192},
            "MemoryInfo": {"SizeInMiB": 2097152},
            "GpuInfo": {
                "Gpus": [{"Name": "H100", "Manufacturer": "NVIDIA", "Count": 8, "MemoryInfo": {"SizeInMiB": 81920}}]
            },
        },
        {
            "InstanceType": "trn1.32xlarge",
            "VCpuInfo": {"DefaultVCpus": 128},
            "MemoryInfo": {"SizeInMiB": 524288},
            "NeuronInfo": {"NeuronDevices": [{"Name": "Trainium", "Count": 16, "MemoryInfo": {"SizeInMiB": 32768}}]},
        },
        {"InstanceType": "m7i.large", "VCpuInfo": {"DefaultVCpus": 2}, "MemoryInfo": {"SizeInMiB": 8192}},
    ]
}


def test_accelerated_types_from_gpu_and_neuron_info() -> None:
    types = ec2.accelerated_types([DESCRIBED])
    assert set(types) == {"p5.48xlarge", "trn1.32xlarge"}
    [h100] = types["p5.48xlarge"].accelerators
    assert (h100.model, h100.count, h100.memory_gib) == ("H100", 8, 80.0)
    assert types["trn1.32xlarge"].accelerators[0].count == 16
    assert types["p5.48xlarge"].memory_gib == 2048.0


def _instance(**extra: object) -> dict[str, object]:
    return {
        "InstanceId": "i-0abc",
        "InstanceType": "p5.48xlarge",
        "State": {"Name": "running"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "LaunchTime": NOW,
        "RootDeviceName": "/dev/xvda",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": "vol-1"}}],
        **extra,
    }


@pytest.mark.parametrize(
    ("lifecycle", "market"),
    [(None, Market.ON_DEMAND), ("spot", Market.SPOT), ("capacity-block", Market.CAPACITY_BLOCK)],
)
def test_market_from_instance_lifecycle(lifecycle: str | None, market: Market) -> None:
    instance = _instance(**({"InstanceLifecycle": lifecycle} if lifecycle else {}))
    resource = ec2.instance_resource(
        instance, account="111122223333", region="us-east-1", type_info=None, known_to_catalog=True, root_encrypted=True
    )
    assert resource.market is market
    assert resource.uid == "aws:111122223333:us-east-1:i-0abc"


def test_unknown_metadata_options_stay_unknown() -> None:
    resource = ec2.instance_resource(
        _instance(), account="1", region="us-east-1", type_info=None, known_to_catalog=True, root_encrypted=None
    )
    assert resource.security.imdsv2_required is None
    assert resource.security.boot_disk_encrypted is None
    assert resource.security.public_ip is False
    assert ec2.root_volume_id(_instance()) == "vol-1"


def test_types_unknown_to_the_catalog_keep_their_gpu_info() -> None:
    info = ec2.accelerated_types([DESCRIBED])["p5.48xlarge"]
    resource = ec2.instance_resource(
        _instance(), account="1", region="us-east-1", type_info=info, known_to_catalog=False, root_encrypted=True
    )
    assert resource.gpu_count == 8 and resource.vcpus == 192


def test_get_metric_data_pages_are_followed_and_merged() -> None:
    """CloudWatch returns at most 100,800 datapoints per answer: a 500-series hourly batch comes
    in pages (moto never paginates, so the real client is answered by botocore's Stubber)."""
    import boto3
    from botocore.stub import Stubber

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    queries = telemetry.cpu_queries(["i-1", "i-2"])
    hours = [WINDOW.start + timedelta(hours=h) for h in range(4)]
    stubber = Stubber(cloudwatch)
    stubber.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "q0", "Timestamps": hours[:2], "Values": [10.0, 20.0], "StatusCode": "PartialData"},
                {"Id": "q1", "Timestamps": hours[:1], "Values": [5.0], "StatusCode": "PartialData"},
            ],
            "NextToken": "page-2",
        },
    )
    stubber.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "q0", "Timestamps": hours[2:], "Values": [30.0, 40.0], "StatusCode": "Complete"},
                {"Id": "q1", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
            ]
        },
        expected_params=None,
    )
    with stubber:
        fetched = list(telemetry.fetch(cloudwatch, queries, WINDOW))
    stubber.assert_no_pending_responses()
    assert [(q.instance_id, sorted(v.values())) for q, v in fetched] == [
        ("i-1", [10.0, 20.0, 30.0, 40.0]),
        ("i-2", [5.0]),
    ]


def test_a_forbidden_series_is_an_error_not_missing_data() -> None:
    import boto3
    from botocore.stub import Stubber

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(cloudwatch)
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q0", "StatusCode": "Forbidden", "Messages": [{"Value": "denied"}]}]},
    )
    with stubber, pytest.raises(telemetry.MetricDataError, match="Forbidden"):
        list(telemetry.fetch(cloudwatch, telemetry.cpu_queries(["i-1"]), WINDOW))
