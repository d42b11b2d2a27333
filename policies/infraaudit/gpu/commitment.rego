# METADATA
# title: Steady GPU workload without a commitment
# description: >-
#   An on-demand GPU instance ran almost the whole lookback window with steady GPU use:
#   a 1-year commitment would cost less.
# custom:
#   id: IA-GPU-007
#   severity: low
#   category: cost
#   sources: [scan]
#   remediation: Cover the instance with a reserved instance or savings plan (AWS) or a committed use discount (GCP).
package infraaudit.gpu.commitment

import data.infraaudit.lib.catalog
import data.infraaudit.lib.util

cfg := util.config.commitment

offers := {
	"aws": "a 1-year EC2 Instance Savings Plan or reserved instance",
	"gcp": "a 1-year resource-based committed use discount",
}

deny contains finding if {
	c := cfg # read once per query, not per resource
	some r in input.resources
	utilization := r.utilization
	uptime := utilization.uptime_fraction
	uptime >= c.min_uptime_fraction
	m := utilization.gpu_percent
	m.avg >= c.min_avg_gpu_percent
	m.coverage >= util.config.min_coverage
	r.market == "on_demand"
	r.state == "running"
	offer := offers[r.provider]
	not util.unknown_in(object.get(r, "unknown", []), "market")
	r.accelerators[0] # util.has_gpu
	od := on_demand(r)
	savings := savings_usd(od)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s) ran %s%% of the last %v days at %v%% average GPU utilisation on demand; %s at an assumed %s%% discount saves about $%v a month.",
			[r.uid, r.instance_type, util.fixed(uptime * 100, 0), m.window_days, m.avg, offer, util.fixed(c.discount_fraction * 100, 0), savings],
		),
		"evidence": {
			"instance_type": r.instance_type,
			"uptime_fraction": uptime,
			"gpu_percent_avg": m.avg,
			"coverage": m.coverage,
			"min_uptime_fraction": c.min_uptime_fraction,
			"min_avg_gpu_percent": c.min_avg_gpu_percent,
			"discount_fraction": c.discount_fraction,
			"hourly_on_demand_usd": od,
		},
		"recommendation": sprintf("Cover %s (%s in %s) with %s.", [r.uid, r.instance_type, r.region, offer]),
		"estimated_monthly_savings_usd": savings,
	}
}

on_demand(r) := p if {
	p := catalog.on_demand_price(r)
} else := null

savings_usd(od) := util.monthly(od * cfg.discount_fraction) if {
	is_number(od)
} else := 0
