# METADATA
# title: Interruptible GPU workload not on spot
# description: >-
#   An on-demand GPU instance runs a workload declared interruptible (tag) that could
#   run on spot / preemptible capacity at a fraction of the price.
# custom:
#   id: IA-GPU-004
#   severity: medium
#   category: cost
#   sources: [scan, preview]
#   remediation: Run the workload on spot (AWS) or Spot VMs (GCP) with checkpointing, or tag it as opted out of spot.
package infraaudit.gpu.spot

import data.infraaudit.lib.catalog
import data.infraaudit.lib.util

cfg := util.config.spot

deny contains finding if {
	some r in input.resources
	r.market == "on_demand"
	reason := interruptible(r)
	r.provider != "onprem"
	not util.unknown_path(r, "market")
	util.active(r)
	util.has_gpu(r)
	util.tags_known(r)
	not util.unknown_path(r, concat(".", ["tags", cfg.opt_out_tag]))
	not util.tag_true(r, cfg.opt_out_tag)
	prices := spot_prices(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) runs on demand although %s; %s.", [r.uid, r.instance_type, reason, prices.text]),
		"evidence": object.union(prices.evidence, {
			"instance_type": r.instance_type,
			"market": r.market,
			"reason": reason,
			"interruptible_tag": cfg.interruptible_tag,
			"workload_tag": cfg.workload_tag,
			"workload": object.get(r.tags, cfg.workload_tag, null),
		}),
		"recommendation": sprintf("Run %s (%s) as %s with checkpointing, or set the tag %s=true if it must not be interrupted.", [r.uid, r.instance_type, spot_name[r.provider], cfg.opt_out_tag]),
		"estimated_monthly_savings_usd": prices.savings,
	}
}

spot_name := {"aws": "a spot instance", "gcp": "a Spot VM"}

# Why the workload is interruptible (one reason, the explicit tag first).
interruptible(r) := sprintf("it is tagged %s=true", [cfg.interruptible_tag]) if {
	util.tag_true(r, cfg.interruptible_tag)
} else := sprintf("its %s tag is %q", [cfg.workload_tag, w]) if {
	w := util.tag(r, cfg.workload_tag)
	interruptible_workloads[lower(trim_space(w))]
}

interruptible_workloads := {lower(x) | some x in cfg.interruptible_workloads}

# Prices when both are known and spot is cheaper; no finding when both are known and spot
# is not cheaper; when either is unknown, report without a saving.
spot_prices(r) := p if {
	od := catalog.on_demand_price(r)
	spot := catalog.spot_price(r)
	od > spot
	p := {
		"text": sprintf("spot costs $%v/h instead of $%v/h", [spot, od]),
		"savings": util.monthly(od - spot),
		"evidence": {"hourly_on_demand_usd": od, "hourly_spot_usd": spot},
	}
} else := p if {
	not both_priced(r)
	p := {
		"text": "its spot price is unknown, so no saving is estimated",
		"savings": 0,
		"evidence": {},
	}
}

both_priced(r) if {
	catalog.on_demand_price(r)
	catalog.spot_price(r)
}
