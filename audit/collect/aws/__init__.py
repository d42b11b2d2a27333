"""Live AWS collector: accounts, regions, GPU instances, CloudWatch GPU telemetry, prices.

Import the submodules (collector, targets, calls, ...): this package imports nothing, so that
commands which do not scan AWS never load boto3.
"""
