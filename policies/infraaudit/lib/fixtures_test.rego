# Test fixtures shared by the infraaudit rule tests (test-only package: no tests here).
package infraaudit.lib.fixtures_test

metric(avg, p95, mx) := {
	"avg": avg,
	"p95": p95,
	"max": mx,
	"samples": 336,
	"coverage": 1,
	"window_days": 14,
}

# A well-run AWS GPU instance: priced, busy, tagged, classified, secured. No rule fires on it
# except IA-GPU-007 (it is on demand and steady) and IA-GPU-003 branch (c) when tagged.
resource := {
	"uid": "aws:111122223333:us-east-1:i-0abc",
	"provider": "aws",
	"account": "111122223333",
	"region": "us-east-1",
	"zone": "us-east-1a",
	"name": "trainer",
	"instance_type": "g5.12xlarge",
	"state": "running",
	"market": "on_demand",
	"accelerators": [{"model": "A10G", "count": 4, "memory_gib": 22.35}],
	"vcpus": 48,
	"memory_gib": 192,
	"tags": {
		"owner": "alice",
		"team": "ml",
		"cost-center": "cc-42",
		"data-classification": "internal",
	},
	"security": {"public_ip": false, "imdsv2_required": true, "boot_disk_encrypted": true},
	"utilization": {
		"gpu_percent": metric(55, 80, 97),
		"gpu_memory_used_gib": metric(60, 70, 80),
		"devices": [
			{"index": 0, "gpu_percent": metric(55, 80, 97)},
			{"index": 1, "gpu_percent": metric(55, 80, 97)},
			{"index": 2, "gpu_percent": metric(55, 80, 97)},
			{"index": 3, "gpu_percent": metric(55, 80, 97)},
		],
		"uptime_fraction": 0.5,
	},
	"cost": {
		"hourly_current": 5.672,
		"hourly_on_demand": 5.672,
		"hourly_spot": 1.9937,
		"catalog_region": "us-east-1",
	},
	"source": "scan",
	"unknown": [],
}

# The resource with some fields replaced (deep merge).
with_(patch) := object.union(resource, patch)

# The resource without some top-level fields.
without(keys) := object.remove(resource, keys)

# A preview (plan) resource: no telemetry, no state, no cost.
preview := object.union(without({"utilization", "cost", "zone", "name"}), {
	"uid": "aws:111122223333:us-east-1:aws_instance.trainer",
	"state": "unknown",
	"source": "preview",
})

offer(t, acc, n, mem, od, spot) := {
	"instance_type": t,
	"accelerator": acc,
	"accelerator_count": n,
	"gpu_memory_gib": mem,
	"vcpus": 4,
	"memory_gib": 16,
	"on_demand": od,
	"spot": spot,
}

catalog := {"offers": {
	"aws": {"us-east-1": [
		offer("g5.12xlarge", "A10G", 4, 89.41, 5.672, 1.9937),
		offer("g5.xlarge", "A10G", 1, 22.35, 1.006, 0.397),
		offer("g6.xlarge", "L4", 1, 22.35, 0.8048, 0.3879),
		offer("g4dn.xlarge", "T4", 1, 16, 0.526, 0.1845),
		offer("g5g.xlarge", "T4g", 1, 16, 0.42, 0.1422),
		offer("dl1.24xlarge", "Gaudi HL-205", 8, 256, 13.10904, 1.9572),
		offer("p3.2xlarge", "V100", 1, 16, 3.06, 0.5197),
		offer("p3.8xlarge", "V100", 4, 64, 12.24, 1.7535),
		offer("p4d.24xlarge", "A100", 8, 320, 32.7726, 5.0933),
		{"instance_type": "inf2.xlarge", "accelerator": "Inferentia2", "accelerator_count": 1, "on_demand": 0.7582},
	]},
	"gcp": {"us-central1": [
		offer("g2-standard-4", "L4", 1, 22.35, 0.70683, 0.28184),
		offer("a2-highgpu-1g", "A100", 1, 40, 3.67339, 1.44296),
	]},
}}

inventory(resources) := {"schema_version": "1", "resources": resources, "coverage": {}, "gaps": []}
