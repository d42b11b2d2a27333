"""Pulumi program and components that provision a recommended layout (docs/stacks.md).

- `program`: the program (`stacks/__main__.py` runs `program.main()`): providers per region, one
  component per cloud placement, on-prem placements as stack outputs;
- `aws.AwsGpuFleet` (`infraaudit:aws:GpuFleet`): launch template + Auto Scaling group;
- `gcp.GcpGpuFleet` (`infraaudit:gcp:GpuFleet`): instance template + regional managed instance group;
- `settings`: the stack config, read inside the program (never at import); `naming`: names and tags.

Imports Pulumi and `infraaudit.audit.models` only.
"""
