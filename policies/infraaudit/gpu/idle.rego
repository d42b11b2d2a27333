# METADATA
# title: Idle GPU instance
# description: A running GPU instance whose GPUs did almost nothing over the lookback window.
# custom:
#   id: IA-GPU-001
#   severity: high
#   category: cost
#   sources: [scan]
#   remediation: Stop or terminate the instance, or schedule it to run only when jobs are queued.
package infraaudit.gpu.idle

import data.infraaudit.lib.catalog
import data.infraaudit.lib.util

cfg := util.config.idle

deny contains finding if {
	# Thresholds are read once per query, not per resource.
	p95_below := cfg.p95_below_percent
	max_below := cfg.max_below_percent
	min_coverage := util.config.min_coverage
	some r in input.resources

	# util.idle(r), inlined: this runs for every resource.
	m := r.utilization.gpu_percent
	m.p95 < p95_below
	m.max < max_below
	m.coverage >= min_coverage
	r.accelerators[0] # util.has_gpu
	util.active(r)
	hourly := current_hourly(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) had GPU utilisation p95 %v%% and max %v%% over %v days; thresholds are p95 < %v%% and max < %v%%.", [r.uid, r.instance_type, m.p95, m.max, m.window_days, p95_below, max_below]),
		"evidence": {
			"instance_type": r.instance_type,
			"gpu_percent_p95": m.p95,
			"gpu_percent_max": m.max,
			"gpu_percent_avg": m.avg,
			"coverage": m.coverage,
			"window_days": m.window_days,
			"p95_below_percent": p95_below,
			"max_below_percent": max_below,
			"hourly_current_usd": hourly,
		},
		"recommendation": sprintf("Stop or terminate %s (%s); if it is needed occasionally, start it only when jobs are queued.", [r.uid, r.instance_type]),
		"estimated_monthly_savings_usd": util.monthly(hourly),
	}
}

# What the instance costs now: r.cost.hourly_current, else the catalog price at its market, else 0.
current_hourly(r) := p if {
	p := r.cost.hourly_current
} else := p if {
	p := catalog.market_price(r)
} else := 0
