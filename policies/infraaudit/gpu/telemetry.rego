# METADATA
# title: No GPU telemetry
# description: >-
#   A running GPU instance reports no GPU utilisation (or too few samples to judge), so
#   idle, under-utilised and oversized GPUs cannot be found. Never treated as idle.
# custom:
#   id: IA-GPU-005
#   severity: low
#   category: governance
#   sources: [scan]
#   remediation: Install the GPU metrics agent (CloudWatch agent on AWS, Ops Agent on GCP, DCGM exporter on premises).
package infraaudit.gpu.telemetry

import data.infraaudit.lib.util

agents := {
	"aws": "the CloudWatch agent with its nvidia_gpu metrics",
	"gcp": "the Ops Agent with NVIDIA GPU (DCGM) metrics",
	"onprem": "the NVIDIA DCGM exporter (Prometheus)",
}

# No GPU utilisation metric at all.
deny contains finding if {
	some r in input.resources
	not r.utilization.gpu_percent
	r.state == "running"
	r.source == "scan"
	accelerators := r.accelerators
	accelerators[0] # util.has_gpu, inlined: evaluated per resource

	# The collector could not read telemetry (a coverage gap): unknown, not absent.
	not util.unknown_in(object.get(r, "unknown", []), "utilization")
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s, %s) reported no GPU utilisation over the lookback window; install %s.",
			[r.uid, r.instance_type, util.accelerators_label(accelerators), agents[r.provider]],
		),
		"evidence": {
			"provider": r.provider,
			"instance_type": r.instance_type,
			"gpu_count": util.accelerators_count(accelerators),
			"gpu_percent": null,
		},
		"recommendation": sprintf(
			"Install %s on %s so GPU utilisation is collected.",
			[agents[r.provider], r.uid],
		),
		"estimated_monthly_savings_usd": 0,
	}
}

# A GPU utilisation metric with too little coverage to be judged by the other rules.
deny contains finding if {
	min_coverage := util.config.min_coverage # read once, not per resource
	some r in input.resources
	m := r.utilization.gpu_percent
	m.coverage < min_coverage
	r.state == "running"
	r.source == "scan"
	r.accelerators[0] # util.has_gpu, inlined
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s) has GPU utilisation for only %s%% of the lookback window (%v samples), below the %s%% needed to judge it.",
			[r.uid, r.instance_type, util.fixed(m.coverage * 100, 0), m.samples, util.fixed(min_coverage * 100, 0)],
		),
		"evidence": {
			"provider": r.provider,
			"instance_type": r.instance_type,
			"coverage": m.coverage,
			"samples": m.samples,
			"min_coverage": min_coverage,
		},
		"recommendation": sprintf(
			"Check that %s runs continuously on %s and that its metrics are not dropped.",
			[agents[r.provider], r.uid],
		),
		"estimated_monthly_savings_usd": 0,
	}
}
