# METADATA
# title: Interruptible GPU workload not on spot
# description: >-
#   An on-demand GPU instance runs a workload declared interruptible (tag) that could
#   run on spot / preemptible capacity at a fraction of the price. GCP label keys cannot hold
#   "." or "/": there the interruptible and opt-out keys also count with those written "_".
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
	# Read once per query, not per resource.
	opt_out_keys := {cfg.opt_out_tag, label_key(cfg.opt_out_tag)}
	workload_tag := cfg.workload_tag
	flag_tag := cfg.interruptible_tag
	flag_label := label_key(flag_tag)
	some r in input.resources
	r.market == "on_demand"
	unknown := object.get(r, "unknown", [])
	flag := object.get(r.tags, flag_tag, object.get(r.tags, flag_label, null))
	reason := interruptible(flag, object.get(r.tags, workload_tag, null), unknown)
	reason != false
	r.provider != "onprem"
	not util.unknown_in(unknown, "market")
	r.accelerators[0] # util.has_gpu
	util.active(r)

	# util.tags_known(r) and not util.tag_true(r, key) for each opt-out key, inlined.
	not util.unknown_in(unknown, "tags")
	is_object(r.tags)
	count([k | some k in opt_out_keys; util.unknown_in(unknown, concat(".", ["tags", k]))]) == 0
	count([k | some k in opt_out_keys; lower(trim_space(object.get(r.tags, k, ""))) == "true"]) == 0
	prices := spot_prices(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) runs on demand although %s; %s.", [r.uid, r.instance_type, reason, prices.text]),
		"evidence": object.union(prices.evidence, {
			"instance_type": r.instance_type,
			"market": r.market,
			"reason": reason,
			"interruptible_tag": cfg.interruptible_tag,
			"workload_tag": workload_tag,
			"workload": object.get(r.tags, workload_tag, null),
		}),
		"recommendation": sprintf("Run %s (%s) as %s with checkpointing, or set the tag %s=true if it must not be interrupted.", [r.uid, r.instance_type, spot_name[r.provider], cfg.opt_out_tag]),
		"estimated_monthly_savings_usd": util.for_all_instances(r, prices.savings),
	}
}

spot_name := {"aws": "a spot instance", "gcp": "a Spot VM"}

# A tag key as a GCP label key (lowercase letters, digits, "_" and "-"): infraaudit.io/spot-opt-out
# is labelled infraaudit_io_spot-opt-out.
label_key(key) := regex.replace(lower(key), `[^a-z0-9_-]`, "_")

# Why the workload is interruptible (one reason, the explicit tag first), else false. By
# the two tag values (null when absent) and the unknown paths rather than the resource,
# and false rather than undefined, so that OPA's function cache answers most calls (it
# caches only defined results).
interruptible(flag, workload, unknown) := sprintf("it is tagged %s=true", [cfg.interruptible_tag]) if {
	lower(trim_space(known_tag(flag, unknown, cfg.interruptible_tag))) == "true"
} else := sprintf("its %s tag is %q", [cfg.workload_tag, w]) if {
	w := known_tag(workload, unknown, cfg.workload_tag)
	interruptible_workloads[lower(trim_space(w))]
} else := false

# util.tag for a value read with object.get(r.tags, key, null).
known_tag(value, unknown, key) := value if {
	value != null
	not util.unknown_in(unknown, "tags")
	not util.unknown_in(unknown, concat(".", ["tags", key]))
}

interruptible_workloads := {lower(x) | some x in cfg.interruptible_workloads}

# Prices when both are known and spot is cheaper; no finding when both are known and spot
# is not cheaper; when either is unknown, report without a saving.
spot_prices(r) := p if {
	p := cheaper_spot(catalog.on_demand_price(r), catalog.spot_price(r))
} else := p if {
	not both_priced(r)
	p := {
		"text": "its spot price is unknown, so no saving is estimated",
		"savings": 0,
		"evidence": {},
	}
}

# By the two prices, so that OPA's function cache answers it (resources share few prices).
cheaper_spot(od, spot) := p if {
	od > spot
	p := {
		"text": sprintf("spot costs $%v/h instead of $%v/h", [spot, od]),
		"savings": util.monthly(od - spot),
		"evidence": {"hourly_on_demand_usd": od, "hourly_spot_usd": spot},
	}
}

both_priced(r) if {
	catalog.on_demand_price(r)
	catalog.spot_price(r)
}
