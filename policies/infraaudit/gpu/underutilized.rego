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
	some r in input.resources
	m := r.utilization.gpu_percent
	m.avg < threshold
	m.coverage >= util.config.min_coverage
	not util.idle(r)
	util.active(r)
	util.has_gpu(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) averaged %v%% GPU utilisation (p95 %v%%) over %v days, below the %v%% threshold.", [r.uid, r.instance_type, m.avg, m.p95, m.window_days, threshold]),
		"evidence": {
			"instance_type": r.instance_type,
			"gpu_count": util.gpu_count(r),
			"gpu_percent_avg": m.avg,
			"gpu_percent_p95": m.p95,
			"gpu_percent_max": m.max,
			"coverage": m.coverage,
			"window_days": m.window_days,
			"avg_below_percent": threshold,
		},
		"recommendation": sprintf("Consolidate the workloads of %s onto fewer GPUs, share its GPUs (MIG or time-slicing), or move to a smaller GPU type than %s.", [r.uid, r.instance_type]),
		"estimated_monthly_savings_usd": 0,
	}
}
