"""`--pulumi-program DIR`: real Pulumi Python programs run under the SDK's mocks in a subprocess.

The programs live in tests/fixtures/pulumi-programs/<name>/. Each run starts a Python process
(~1 s), so the programs run once per module, side by side, and the tests read the results.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from infraaudit.audit.errors import ExitCode, InputError
from infraaudit.audit.models import ChangeOp
from infraaudit.audit.preview.plan import UNKNOWN, Plan, PlannedResource
from infraaudit.audit.preview.pulumi_program import load_pulumi_program
from infraaudit_testing import REPO, process_alive

PROGRAMS = REPO / "tests" / "fixtures" / "pulumi-programs"
ENV_PROGRAM = """\
import os
import pulumi_aws as aws

names = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CORE_PROJECT")
aws.ec2.Instance(
    "env",
    instance_type="g5.xlarge",
    ami="ami-0123456789abcdef0",
    tags={name: os.environ.get(name, "unset") for name in names},
)
"""
SLOW_PROGRAM = """\
import subprocess
import time

child = subprocess.Popen(["sleep", "60"])
with open("child.pid", "w") as f:
    f.write(str(child.pid))
time.sleep(60)
"""
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_PROFILE": "production",
    "GOOGLE_APPLICATION_CREDENTIALS": "/home/me/key.json",
    "CLOUDSDK_CORE_PROJECT": "real-project",
}


def _project(directory: Path, program: str, name: str = "scratch") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n", encoding="utf-8")
    (directory / "__main__.py").write_text(program, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("programs")


@pytest.fixture(scope="module")
def runs(scratch: Path) -> Iterator[dict[str, Plan | InputError]]:
    """Every program run once, in parallel; a failed run is its InputError."""
    jobs: dict[str, tuple[Path, dict[str, Any]]] = {
        name: (PROGRAMS / name, {}) for name in ("aws-gpu", "gcp-gpu", "component", "config", "raises", "secret")
    }
    jobs["env"] = (_project(scratch / "env", ENV_PROGRAM), {})
    jobs["slow"] = (_project(scratch / "slow", SLOW_PROGRAM), {"timeout_s": 2})

    def run(job: tuple[Path, dict[str, Any]]) -> Plan | InputError:
        try:
            return load_pulumi_program(job[0], **job[1])
        except InputError as exc:
            return exc

    with pytest.MonkeyPatch.context() as mp:
        for key, value in CREDENTIALS.items():
            mp.setenv(key, value)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            results = dict(zip(jobs, pool.map(run, jobs.values()), strict=True))
        assert time.monotonic() - started < 15
    yield results


@pytest.fixture
def plan(runs: dict[str, Plan | InputError]) -> Callable[[str], Plan]:
    def get(name: str) -> Plan:
        result = runs[name]
        assert isinstance(result, Plan), f"{name}: {result}"
        return result

    return get


def _error(runs: dict[str, Plan | InputError], name: str) -> InputError:
    result = runs[name]
    assert isinstance(result, InputError), result
    return result


def _by_name(plan: Plan) -> dict[str, PlannedResource]:
    return {r.name: r for r in plan.resources}


def _assert_source(program: Path, resource: PlannedResource, line: int, call: str) -> None:
    assert resource.source_line == line
    assert resource.source_file is not None
    assert call in (program / resource.source_file).read_text(encoding="utf-8").splitlines()[line - 1]


# ------------------------------------------------------------------ AWS


def test_aws_program_declares_instances_a_launch_template_and_a_group(plan: Callable[[str], Plan]) -> None:
    aws = plan("aws-gpu")
    assert (aws.kind, aws.stack, aws.input_file) == ("pulumi-program", "dev", str(PROGRAMS / "aws-gpu"))
    assert [(r.type, r.name, r.address) for r in aws.resources] == [
        ("aws:ec2/instance:Instance", "trainer", "urn:pulumi:dev::aws-gpu::aws:ec2/instance:Instance::trainer"),
        ("aws:ec2/instance:Instance", "spot-worker",
         "urn:pulumi:dev::aws-gpu::aws:ec2/instance:Instance::spot-worker"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "gpu-nodes",
         "urn:pulumi:dev::aws-gpu::aws:ec2/launchTemplate:LaunchTemplate::gpu-nodes"),
        ("aws:autoscaling/group:Group", "gpu-asg", "urn:pulumi:dev::aws-gpu::aws:autoscaling/group:Group::gpu-asg"),
    ]  # fmt: skip
    assert all((r.op, r.before, r.style) == (ChangeOp.CREATE, None, "pulumi") for r in aws.resources)
    assert aws.default_tags == {}  # aws:defaultTags are the default provider's: in each __provider
    assert all(r.after and r.after["__provider"]["tags"] == {"owner": "ml-platform", "cost-center": "cc-42"}
               for r in aws.resources)  # fmt: skip


def test_aws_inputs_are_the_camel_case_property_bag(plan: Callable[[str], Plan]) -> None:
    resources = _by_name(plan("aws-gpu"))
    region = {"__provider": {"region": "us-east-1", "tags": {"owner": "ml-platform", "cost-center": "cc-42"}}}
    assert resources["trainer"].after == {
        "instanceType": "p4d.24xlarge",
        "ami": "ami-00000000000mock",  # aws.ec2.get_ami is mocked
        "tags": {"owner": "research", "team": "llm", "cost-center": "cc-7"},
        "rootBlockDevice": {"encrypted": True, "volumeSize": 500},
        "metadataOptions": {"httpTokens": "required"},
        **region,
    }
    assert resources["spot-worker"].after == {
        "instanceType": "g5.xlarge",
        "ami": "ami-00000000000mock",
        "instanceMarketOptions": {"marketType": "spot", "spotOptions": {"maxPrice": "0.50"}},
        "subnetId": UNKNOWN,  # trainer.subnet_id: an output the preview cannot know
        "tags": {"owner": "research"},
        **region,
    }
    assert resources["gpu-nodes"].after == {
        "imageId": "ami-00000000000mock",
        "instanceType": "g5.2xlarge",
        "metadataOptions": {"httpTokens": "required"},
        **region,
    }
    assert resources["gpu-asg"].after == {
        "minSize": 0,
        "maxSize": 8,
        "desiredCapacity": 2,
        "availabilityZones": ["us-east-1a"],
        "mixedInstancesPolicy": {
            "launchTemplate": {
                # the mock's ID for another resource; its latest version is unknown in a preview
                "launchTemplateSpecification": {"launchTemplateId": "gpu-nodes-id", "version": UNKNOWN},
                "overrides": [{"instanceType": "g5.2xlarge"}, {"instanceType": "g6.2xlarge"}],
            },
            "instancesDistribution": {
                "onDemandBaseCapacity": 0,
                "onDemandPercentageAboveBaseCapacity": 0,
                "spotAllocationStrategy": "price-capacity-optimized",
            },
        },
        **region,
    }


def test_aws_source_lines_point_at_the_constructor_calls(plan: Callable[[str], Plan]) -> None:
    resources = _by_name(plan("aws-gpu"))
    assert {r.source_file for r in resources.values()} == {"__main__.py"}
    _assert_source(PROGRAMS / "aws-gpu", resources["trainer"], 8, "aws.ec2.Instance(")
    _assert_source(PROGRAMS / "aws-gpu", resources["spot-worker"], 17, "aws.ec2.Instance(")
    _assert_source(PROGRAMS / "aws-gpu", resources["gpu-nodes"], 29, "aws.ec2.LaunchTemplate(")
    _assert_source(PROGRAMS / "aws-gpu", resources["gpu-asg"], 36, "aws.autoscaling.Group(")


# ------------------------------------------------------------------ GCP


def test_gcp_program_instance_and_node_pool(plan: Callable[[str], Plan]) -> None:
    gcp = plan("gcp-gpu")  # runtime given as a mapping {name: python, options: ...}
    assert gcp.stack == "prod"
    assert gcp.default_tags == {}
    assert all(r.after and r.after["__provider"]["tags"] == {"team": "vision"} for r in gcp.resources)
    resources = _by_name(gcp)
    assert [r.address for r in gcp.resources] == [
        "urn:pulumi:prod::gcp-gpu::gcp:compute/instance:Instance::a100-spot",
        "urn:pulumi:prod::gcp-gpu::gcp:container/nodePool:NodePool::l4-pool",
    ]
    image = "https://www.googleapis.com/compute/v1/projects/deeplearning-platform-release/global/images/"
    assert resources["a100-spot"].after == {
        "machineType": "a2-highgpu-1g",
        "zone": "us-central1-a",
        "bootDisk": {"initializeParams": {"image": image + "infraaudit-mock-image", "size": 200}},
        "guestAccelerators": [{"type": "nvidia-tesla-a100", "count": 1}],
        "scheduling": {
            "provisioningModel": "SPOT",
            "preemptible": True,
            "automaticRestart": False,
            "onHostMaintenance": "TERMINATE",
        },
        "networkInterfaces": [{"network": "default"}],
        "labels": {"owner": "vision", "env": "prod"},
        "__provider": {
            "project": "ml-prod-123",
            "region": "us-central1",
            "tags": {"team": "vision"},
        },  # its own zone wins
    }
    assert resources["l4-pool"].after == {
        "cluster": "gpu-cluster",
        "location": "us-central1",
        "nodeCount": 2,
        "nodeConfig": {
            "machineType": "g2-standard-8",
            "spot": True,
            "guestAccelerators": [{"type": "nvidia-l4", "count": 1}],
            "labels": {"owner": "vision"},
        },
        "__provider": {
            "project": "ml-prod-123",
            "region": "us-central1",
            "zone": "us-central1-b",
            "tags": {"team": "vision"},
        },
    }
    _assert_source(PROGRAMS / "gcp-gpu", resources["a100-spot"], 7, "gcp.compute.Instance(")
    _assert_source(PROGRAMS / "gcp-gpu", resources["l4-pool"], 23, "gcp.container.NodePool(")


# ------------------------------------------------------------------ components and providers


def test_component_children_are_planned_with_the_parent_type_chain(plan: Callable[[str], Plan]) -> None:
    component = plan("component")
    assert component.stack is None  # no Pulumi.<stack>.yaml: no stack config, URNs use "dev"
    assert component.default_tags == {}
    chain = "my:component:Cluster$my:component:Gpu$aws:ec2/instance:Instance"
    # neither the components nor the pulumi:providers:aws resource are planned
    assert [(r.type, r.address) for r in component.resources] == [
        ("aws:ec2/instance:Instance",
         "urn:pulumi:dev::gpu-component::my:component:Gpu$aws:ec2/instance:Instance::single-vm"),
        ("aws:ec2/instance:Instance", f"urn:pulumi:dev::gpu-component::{chain}::train-0-vm"),
        ("aws:ec2/instance:Instance", f"urn:pulumi:dev::gpu-component::{chain}::train-1-vm"),
    ]  # fmt: skip
    resources = _by_name(component)
    for name in ("single-vm", "train-0-vm", "train-1-vm"):
        _assert_source(PROGRAMS / "component", resources[name], 12, "aws.ec2.Instance(")
        assert resources[name].source_file == "components.py"


def test_explicit_provider_config_reaches_its_resources(plan: Callable[[str], Plan]) -> None:
    resources = _by_name(plan("component"))
    assert resources["single-vm"].after == {
        "instanceType": "p5.48xlarge",
        "ami": "ami-0123456789abcdef0",
        "tags": {"component": "single"},  # default provider, no aws:region: no __provider
    }
    assert resources["train-0-vm"].after == {
        "instanceType": "g5.12xlarge",
        "ami": "ami-0123456789abcdef0",
        "tags": {"component": "train-0"},
        "__provider": {"region": "eu-west-1", "tags": {"team": "eu-ml"}},  # via providers=[eu]
    }


# ------------------------------------------------------------------ config


def test_stack_config_drives_the_program(plan: Callable[[str], Plan]) -> None:
    config = plan("config")
    assert config.stack == "staging"
    assert config.default_tags == {"owner": "data-eng", "cost-center": "cc-9"}
    assert config.data_classification == "confidential"
    assert [r.address for r in config.resources] == [
        "urn:pulumi:staging::gpu-config::aws:ec2/instance:Instance::worker-0",
        "urn:pulumi:staging::gpu-config::aws:ec2/instance:Instance::worker-1",
    ]  # gpu-config:workers: 2
    worker = config.resources[0]
    assert worker.after == {
        "instanceType": "g6.xlarge",  # the stack's instanceType over Pulumi.yaml's default
        "ami": "ami-0123456789abcdef0",
        "subnetId": UNKNOWN,  # a StackReference output
        "tags": {"role": "worker", "region": "eu-central-1"},  # aws.get_region() answers from aws:region
        "__provider": {"region": "eu-central-1"},
    }
    assert (worker.source_file, worker.source_line) == ("infra/__main__.py", 10)  # main: infra/


def test_secure_config_values_are_unknown(plan: Callable[[str], Plan]) -> None:
    secret = plan("secret")
    assert secret.default_tags == {} and secret.data_classification is None  # a secure value is not known
    (resource,) = secret.resources
    assert resource.after == {
        "instanceType": "p5.48xlarge",
        "ami": UNKNOWN,  # config.require("amiId"): a secure value read with a plain getter
        "userData": UNKNOWN,  # config.require_secret("bootstrapToken")
        "tags": {"token-set": UNKNOWN},  # an apply on it does not run, as in a preview
    }


# ------------------------------------------------------------------ isolation and failures


def test_cloud_credentials_do_not_reach_the_program(plan: Callable[[str], Plan]) -> None:
    (resource,) = plan("env").resources
    assert resource.after is not None
    assert resource.after["tags"] == {name: "unset" for name in CREDENTIALS}


def test_a_raising_program_is_one_input_error_line(runs: dict[str, Plan | InputError]) -> None:
    error = _error(runs, "raises")
    assert error.exit_code == ExitCode.RUNTIME
    assert str(error) == (
        f"pulumi program {PROGRAMS / 'raises'}: the program failed: "
        "ValueError: GPU quota exceeded for p5.48xlarge in us-east-1 (__main__.py:4)"
    )


def test_a_program_past_its_time_is_stopped_with_what_it_started(
    runs: dict[str, Plan | InputError], scratch: Path
) -> None:
    message = f"pulumi program {scratch / 'slow'}: timed out after 2 s (the program did not finish)"
    assert str(_error(runs, "slow")) == message
    child = int((scratch / "slow" / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while process_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(child)


def test_program_output_does_not_reach_infraaudit_output(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    noisy = "import sys\nprint('{\"not\": \"json\"}')\nprint('noise', file=sys.stderr)\n"
    program = _project(tmp_path / "noisy", noisy)
    assert load_pulumi_program(program).resources == []
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("files", "stack", "message"),
    [
        ({}, None, "no Pulumi.yaml (not a Pulumi project)"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, None,
         "runtime is 'nodejs'; only Python programs can be run (for other runtimes check a `pulumi preview --json` "
         "document)"),
        ({"Pulumi.yaml": "name: x\nruntime: {name: go}\n"}, None, "runtime is 'go'; only Python programs can be run"),
        ({"Pulumi.yaml": "runtime: python\n"}, None, "Pulumi.yaml has no project name"),
        ({"Pulumi.yaml": "name: [x\n"}, None, "Pulumi.yaml is not valid YAML: "),
        ({"Pulumi.yaml": "name: x\nruntime: python\n"}, None, "the program __main__.py does not exist"),
        ({"Pulumi.yaml": "name: x\nruntime: python\nmain: src/\n", "src/app.py": ""}, None,
         "the program src/__main__.py does not exist"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": "", "Pulumi.dev.yaml": "",
          "Pulumi.prod.yaml": ""}, None,
         "several stack configs (Pulumi.dev.yaml, Pulumi.prod.yaml); choose one with --stack"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": "", "Pulumi.dev.yaml": ""}, "acme/x/prod",
         "no Pulumi.prod.yaml for stack 'prod' (stack configs: dev)"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": "", "Pulumi.dev.yaml": "config: [1]\n"}, None,
         "`config` in Pulumi.dev.yaml must be a mapping"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": "",
          "Pulumi.dev.yaml": "config:\n  infraaudit:tags: [a]\n"}, None,
         "config infraaudit:tags must be an object of tag: value"),
    ],
)  # fmt: skip
def test_unusable_projects_are_one_input_error_line(
    tmp_path: Path, files: dict[str, str], stack: str | None, message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_pulumi_program(tmp_path, stack=stack)
    text = str(raised.value)
    assert text.startswith(f"pulumi program {tmp_path}: {message}")
    assert "\n" not in text


def test_a_missing_directory_or_a_file_is_an_input_error(tmp_path: Path) -> None:
    for path in (tmp_path / "missing", PROGRAMS / "aws-gpu" / "__main__.py"):
        with pytest.raises(InputError, match="^pulumi program .*: not a directory$"):
            load_pulumi_program(path)
