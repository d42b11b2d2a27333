# METADATA
# title: Under-utilised GPU instance
# description: >-
#   A running GPU instance whose average GPU utilisation stayed low over the lookback
#   window (but which is not idle: that is IA-GPU-001).
# custom:
#   id: IA-GPU-002
#   severity: medium
#   category: cost
#   sources: [scan]
#   remediation: Consolidate workloads onto fewer GPUs, share the GPU (MIG, time-slicing) or move to a smaller GPU type.
package infraaudit.gpu.underutilized

import data.infraaudit.lib.util

# The saving is 0: the unused share of a GPU cannot be bought back without knowing
# whether the workload fits a smaller type (IA-GPU-003 prices that when it can).
threshold := util.config.underutilized.avg_below_percent

deny contains finding if {
	# Read once per query, not per resource.
	avg_below := threshold
	conf := util.config
	min_coverage := conf.min_coverage
	some r in input.resources
	m := r.utilization.gpu_percent
	m.avg < avg_below
	m.coverage >= min_coverage
	accelerators := r.accelerators
	accelerators[0] # util.has_gpu, inlined

	# not util.idle(r) (the coverage is checked above), as a comprehension evaluated in
	# place: cheaper than a call with the whole resource.
	count([1 |
		m.p95 < conf.idle.p95_below_percent
		m.max < conf.idle.max_below_percent
	]) == 0
	util.active(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) averaged %v%% GPU utilisation (p95 %v%%) over %v days, below the %v%% threshold.", [r.uid, r.instance_type, m.avg, m.p95, m.window_days, avg_below]),
		"evidence": {
			"instance_type": r.instance_type,
			"gpu_count": util.accelerators_count(accelerators),
			"gpu_percent_avg": m.avg,
			"gpu_percent_p95": m.p95,
			"gpu_percent_max": m.max,
			"coverage": m.coverage,
			"window_days": m.window_days,
			"avg_below_percent": avg_below,
		},
		"recommendation": sprintf("Consolidate the workloads of %s onto fewer GPUs, share its GPUs (MIG or time-slicing), or move to a smaller GPU type than %s.", [r.uid, r.instance_type]),
		"estimated_monthly_savings_usd": 0,
	}
}
