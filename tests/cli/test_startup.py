"""Commands that do not talk to a cloud start without loading the cloud SDKs (~1.5 s of imports)."""

from __future__ import annotations

import subprocess
import sys

CLOUD_MODULES = ("boto3", "botocore", "google.cloud.compute_v1", "google.cloud.monitoring_v3", "pulumi")


def test_the_cli_imports_no_cloud_sdk() -> None:
    probe = f"import sys; import infraaudit.cli.main; print(','.join(m for m in {CLOUD_MODULES!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
