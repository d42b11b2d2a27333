#!/usr/bin/env python3
"""Run the Cloud Custodian (c7n) idle-GPU policy and count its AWS API calls.

Runs INSIDE the c7n virtualenv (not the project venv), e.g.::

    python3 -m venv .bench/c7n-venv && .bench/c7n-venv/bin/pip install c7n==0.9.53
    .bench/c7n-venv/bin/python bench/c7n/run_c7n.py \\
        --endpoint-url http://127.0.0.1:5000 --regions us-east-1,us-west-2 \\
        --output-dir .bench/c7n-out

c7n is run in-process through ``c7n.cli.main`` (``custodian run -s DIR
--cache-period 0 --region R1 --region R2 POLICY``).  Before c7n creates any
client, ``botocore.client.BaseClient._make_api_call`` is wrapped so every API
operation is counted as "<service>.<Operation>" (logical calls, as the
caller sees them); ``botocore.endpoint.Endpoint._send`` is wrapped too, so
HTTP requests including botocore retries are counted separately.

``--endpoint-url`` is exported as AWS_ENDPOINT_URL, which botocore >= 1.31
honours for every client that is created without an explicit endpoint_url
(c7n never passes one, except for STS when
C7N_USE_STS_REGIONAL=yes -- left unset here).

Exactly one JSON object is printed to stdout; c7n's own logging goes to
stderr (anything c7n prints to stdout is redirected to stderr).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_POLICY = os.path.join(HERE, "idle-gpu.yml")

_lock = threading.Lock()
CALLS: collections.Counter = collections.Counter()
HTTP_SENDS: collections.Counter = collections.Counter()
CALL_SECONDS: collections.Counter = collections.Counter()
ERRORS: collections.Counter = collections.Counter()


def install_counters() -> None:
    """Wrap botocore so every API call / HTTP send is counted (thread-safe)."""
    import botocore.client
    import botocore.endpoint

    orig_call = botocore.client.BaseClient._make_api_call
    orig_send = botocore.endpoint.Endpoint._send

    def counting_make_api_call(self, operation_name, api_params):
        key = f"{self.meta.service_model.service_name}.{operation_name}"
        t0 = time.perf_counter()
        try:
            return orig_call(self, operation_name, api_params)
        except Exception:
            with _lock:
                ERRORS[key] += 1
            raise
        finally:
            dt = time.perf_counter() - t0
            with _lock:
                CALLS[key] += 1
                CALL_SECONDS[key] += dt

    def counting_send(self, request):
        with _lock:
            HTTP_SENDS[self._endpoint_prefix] += 1
        return orig_send(self, request)

    botocore.client.BaseClient._make_api_call = counting_make_api_call
    botocore.endpoint.Endpoint._send = counting_send


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint-url", help="AWS endpoint (moto server); exported as AWS_ENDPOINT_URL")
    p.add_argument("--regions", default="us-east-1", help="comma separated regions")
    p.add_argument("--output-dir", required=True, help="c7n output directory (-s)")
    p.add_argument("--policy", default=DEFAULT_POLICY, help="c7n policy file (default: %(default)s)")
    p.add_argument("--profile", help="AWS profile passed to c7n (--profile)")
    p.add_argument("--assume-role", help="role ARN passed to c7n (--assume)")
    p.add_argument("--verbose", action="store_true", help="c7n -v (debug logging on stderr)")
    return p.parse_args(argv)


def collect_matches(output_dir: str, regions: list[str]) -> tuple[dict, dict, dict]:
    """Read c7n's resources.json files: {region: n}, {region: {policy: n}}, {region: [ids]}."""
    matched: dict[str, int] = {}
    by_policy: dict[str, dict[str, int]] = {}
    ids: dict[str, list[str]] = {}
    for region in regions:
        # multi-region runs write OUT/<region>/<policy>/, single-region OUT/<policy>/
        base = os.path.join(output_dir, region) if len(regions) > 1 else output_dir
        seen: set[str] = set()
        by_policy[region] = {}
        for path in sorted(glob.glob(os.path.join(base, "*", "resources.json"))):
            policy = os.path.basename(os.path.dirname(path))
            with open(path) as fh:
                resources = json.load(fh)
            by_policy[region][policy] = len(resources)
            seen.update(r.get("InstanceId", json.dumps(r, sort_keys=True, default=str)) for r in resources)
        matched[region] = len(seen)
        ids[region] = sorted(seen)
    return matched, by_policy, ids


def main(argv=None) -> int:
    args = parse_args(argv)
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    if not regions:
        print("no regions given", file=sys.stderr)
        return 2

    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
        # moto accepts any credentials; only fill in when none are configured
        if not (args.profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")):
            os.environ["AWS_ACCESS_KEY_ID"] = "testing"
            os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.setdefault("AWS_DEFAULT_REGION", regions[0])
    os.environ.pop("C7N_USE_STS_REGIONAL", None)

    install_counters()  # before c7n (and its sessions/clients) are imported

    import c7n.cli
    from c7n.version import version as c7n_version

    os.makedirs(args.output_dir, exist_ok=True)
    cli_argv = ["custodian", "run", "-s", args.output_dir, "--cache-period", "0"]
    for region in regions:
        cli_argv += ["--region", region]
    if args.profile:
        cli_argv += ["--profile", args.profile]
    if args.assume_role:
        cli_argv += ["--assume", args.assume_role]
    if args.verbose:
        cli_argv.append("-v")
    cli_argv.append(args.policy)

    exit_code = 0
    saved_argv = sys.argv
    sys.argv = cli_argv
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            c7n.cli.main()
    except SystemExit as e:  # c7n exits non-zero on policy errors
        exit_code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        wall_s = time.perf_counter() - t0
        sys.argv = saved_argv

    matched, by_policy, ids = collect_matches(args.output_dir, regions)
    result = {
        "tool": "c7n",
        "c7n_version": c7n_version,
        "wall_s": round(wall_s, 3),
        "exit_code": exit_code,
        "regions": regions,
        "policy": os.path.abspath(args.policy),
        "calls": dict(sorted(CALLS.items())),
        "total_calls": sum(CALLS.values()),
        "http_requests": dict(sorted(HTTP_SENDS.items())),
        "call_seconds": {k: round(v, 3) for k, v in sorted(CALL_SECONDS.items())},
        "errors": dict(sorted(ERRORS.items())),
        "matched": matched,
        "matched_by_policy": by_policy,
        "matched_ids": ids,
    }
    print(json.dumps(result, sort_keys=False))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
