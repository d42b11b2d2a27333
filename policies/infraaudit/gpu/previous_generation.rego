# METADATA
# title: Previous-generation accelerator
# description: >-
#   The instance uses a previous-generation accelerator; its successor is usually faster
#   per dollar and sometimes cheaper outright.
# custom:
#   id: IA-GPU-006
#   severity: low
#   category: cost
#   sources: [scan, preview]
#   remediation: Migrate to the successor accelerator family named in the finding and benchmark the workload there.
package infraaudit.gpu.previous_generation

import data.infraaudit.lib.catalog
import data.infraaudit.lib.util

cfg := util.config.previous_generation

previous := {model | some model in cfg.accelerators}

# Each previous-generation accelerator of an active resource, with its successor family,
# found in one pass over the resources for both rules below (not one pass each).
flagged := [[r, a, successor_family(a.model)] |
	models := previous
	some r in input.resources
	some a in r.accelerators
	models[a.model]
	util.active(r)
	not util.unknown_in(object.get(r, "unknown", []), "accelerators")
]

# A priced successor type with the same GPU count exists in the region.
deny contains finding if {
	some [r, a, successor] in flagged
	best := successor_offer(r, a, successor)
	current := object.get(best, "current", null)
	savings := savings_usd(current, best.price)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) uses %v x %s, a previous generation; %s (%v x %s) costs $%v/h%s.", [r.uid, r.instance_type, a.count, a.model, best.offer.instance_type, a.count, successor, best.price, compare(current)]),
		"evidence": {
			"instance_type": r.instance_type,
			"accelerator": a.model,
			"accelerator_count": a.count,
			"successor": successor,
			"candidate_instance_type": best.offer.instance_type,
			"candidate_hourly_usd": best.price,
			"current_hourly_usd": current,
			"price_basis": best.key,
		},
		"recommendation": sprintf("Migrate %s from %s to %s (%v x %s) in %s and benchmark the workload there.", [r.uid, r.instance_type, best.offer.instance_type, a.count, successor, r.region]),
		"estimated_monthly_savings_usd": util.for_all_instances(r, savings),
	}
}

# No priced successor type (or no catalog): name the family only, no saving.
deny contains finding if {
	some [r, a, successor] in flagged
	not successor_offer(r, a, successor)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) uses %v x %s, a previous generation; its successor family is %s.", [r.uid, r.instance_type, a.count, a.model, successor]),
		"evidence": {
			"instance_type": r.instance_type,
			"accelerator": a.model,
			"accelerator_count": a.count,
			"successor": successor,
		},
		"recommendation": sprintf("Migrate %s from %s to an instance type with %v x %s and benchmark the workload there.", [r.uid, r.instance_type, a.count, successor]),
		"estimated_monthly_savings_usd": 0,
	}
}

successor_family(model) := cfg.successors[model] if {
	cfg.successors[model]
} else := "a current-generation accelerator"

# The cheapest offer in the same provider and region with the successor accelerator and
# the same GPU count, at the resource's market; with the resource's own price if known.
successor_offer(r, a, successor) := best if {
	key := catalog.price_key(r)
	not util.unknown_in(object.get(r, "unknown", []), "region")
	best := object.union(cheapest(r.provider, r.region, key, successor, a.count), current_price(r, key))
}

# By the values it depends on, so that OPA's function cache answers it (few combinations).
cheapest(provider, region, key, model, n) := {"offer": offer, "price": ranked[0][0], "key": key} if {
	ranked := catalog.by_model[provider][region][key][model][n]
	count(ranked) > 0
	offer := data.infraaudit.catalog.offers[provider][region][ranked[0][2]]
}

current_price(r, key) := {"current": p} if {
	p := catalog.price_at(r, key)
} else := {}

savings_usd(current, price) := util.monthly(current - price) if {
	is_number(current)
	current > price
} else := 0

compare(current) := sprintf(" instead of $%v/h", [current]) if {
	is_number(current)
} else := ""
