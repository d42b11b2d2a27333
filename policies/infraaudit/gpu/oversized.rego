# METADATA
# title: Oversized GPU instance
# description: >-
#   The workload needs much less GPU than the instance has: some of its GPUs sit idle,
#   its peak GPU memory is a small share of the total, or the model it declares (tags)
#   fits in a fraction of the GPU memory; a cheaper catalog type in the same region fits.
# custom:
#   id: IA-GPU-003
#   severity: medium
#   category: cost
#   sources: [scan, preview]
#   remediation: Move the workload to the smaller instance type named in the finding (same provider and region).
package infraaudit.gpu.oversized

import data.infraaudit.lib.catalog
import data.infraaudit.lib.model
import data.infraaudit.lib.util

cfg := util.config.oversized

price_label := {"spot": "spot", "on_demand": "on-demand"}

branches := ["idle_devices", "peak_memory", "declared_model"]

deny contains finding if {
	# Config read once per query, not per resource.
	conf := util.config
	c := cfg
	some r in input.resources
	accelerators := r.accelerators
	accelerators[0]
	util.active(r)
	utilization := object.get(r, "utilization", null) # read by the idle check and (a), (b)

	# An idle instance is reported by IA-GPU-001 (stop it), not downsized: not util.idle(r),
	# as a comprehension evaluated in place (cheaper than a call with the whole resource).
	count([1 |
		m := utilization.gpu_percent
		m.p95 < conf.idle.p95_below_percent
		m.max < conf.idle.max_below_percent
		m.coverage >= conf.min_coverage
	]) == 0

	# Only resources with a cheaper offer of their accelerator family can be downsized.
	ctx := price_context(
		r.provider, r.region, r.instance_type, r.market,
		object.get(r, "cost", null), accelerators, object.get(r, "unknown", []),
	)
	cheaper := ctx.cheaper
	cheaper[0]
	capacity := capacity_gib(r)

	# The branches that fire, each found by a comprehension evaluated in place: this runs
	# for every active resource, and a function call per branch costs more than its body.
	needs := object.union_n([
		# (a) Several GPUs with per-device telemetry, some idle (with enough coverage; a
		# device without enough coverage counts as busy): the busy ones' memory is needed.
		{"idle_devices": d |
			devices := utilization.devices
			count(devices) >= 2
			below := c.idle_device_p95_below_percent
			min_coverage := conf.min_coverage
			idle := sort([x.index |
				some x in devices
				x.gpu_percent.p95 < below
				x.gpu_percent.coverage >= min_coverage
			])
			count(idle) > 0
			gpus := util.accelerators_count(accelerators)
			busy := gpus - count(idle)
			busy > 0
			d := {
				"need_gib": util.money((busy * capacity) / gpus),
				"idle_device_indexes": idle,
				"busy_gpus": busy,
				"idle_device_p95_below_percent": below,
			}
		},
		# (b) Peak GPU memory used (util.metric: with enough coverage) is a small share of
		# the total.
		{"peak_memory": d |
			m := utilization.gpu_memory_used_gib
			m.coverage >= conf.min_coverage
			m.max < c.peak_memory_below_fraction * capacity
			d := {
				"need_gib": m.max,
				"peak_memory_used_gib": m.max,
				"peak_memory_below_fraction": c.peak_memory_below_fraction,
			}
		},
		# (c) The declared model (tags); most resources declare none.
		{"declared_model": d |
			r.tags[c.model_params_tag]
			d := declared_model(r, capacity, c)
		},
	])
	count(needs) > 0

	# The largest need over the branches that fired: the candidate must fit all of them.
	# The frontier is cheapest first with growing memory, so the first cheaper entry that
	# fits is the first entry that fits, and only if that one costs less than the current.
	need_gib := max([d.need_gib | some d in needs])
	fitting := [x | some x in cheaper; x[3] >= need_gib]
	price := fitting[0][0]
	best := data.infraaudit.catalog.offers[r.provider][r.region][fitting[0][2]]
	key := ctx.key
	current := ctx.current
	basis := concat(", ", [b | some b in branches; needs[b]])
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s, %v GiB GPU memory) needs about %v GiB (%s); %s (%v x %s, %v GiB) costs $%v/h instead of $%v/h at %s prices.", [r.uid, r.instance_type, capacity, need_gib, basis, best.instance_type, best.accelerator_count, best.accelerator, best.gpu_memory_gib, price, current, price_label[key]]),
		"evidence": {
			"instance_type": r.instance_type,
			"market": r.market,
			"price_basis": key,
			"gpu_count": util.accelerators_count(accelerators),
			"capacity_gib": util.money(capacity),
			"need_gib": util.money(need_gib),
			"needs": needs,
			"current_hourly_usd": current,
			"candidate_instance_type": best.instance_type,
			"candidate_accelerator": best.accelerator,
			"candidate_accelerator_count": best.accelerator_count,
			"candidate_gpu_memory_gib": best.gpu_memory_gib,
			"candidate_hourly_usd": price,
		},
		"recommendation": sprintf("Move %s from %s to %s (%v x %s, %v GiB GPU memory) in %s.", [r.uid, r.instance_type, best.instance_type, best.accelerator_count, best.accelerator, best.gpu_memory_gib, r.region]),
		"estimated_monthly_savings_usd": util.for_all_instances(r, util.monthly(current - price)),
	}
}

# The price key, the hourly price and the frontier entries of the accelerator family that
# cost less, from the values they depend on rather than the whole resource: resources
# share few such combinations, so OPA's function cache answers most calls. The catalog
# helpers get a resource with just these fields.
price_context(provider, region, instance_type, market, cost, accelerators, unknown) := ctx if {
	r := {
		"provider": provider, "region": region, "instance_type": instance_type,
		"market": market, "cost": cost, "unknown": unknown,
	}
	key := catalog.price_key(r)
	current := catalog.price_at(r, key)
	not util.unknown_in(unknown, "region")
	ranked := catalog.frontier[provider][region][key][catalog.accelerators_family(accelerators)]
	ctx := {"key": key, "current": current, "cheaper": catalog.cheaper(ranked, current)}
}

# Total GPU memory: from the accelerators, else from the catalog offer of the type.
capacity_gib(r) := c if {
	c := util.accelerators_memory(r.accelerators)
} else := c if {
	c := catalog.current_offer(r).gpu_memory_gib
	is_number(c)
}

# (c) The declared model (tags) needs a small share of the total; usable on preview input.
declared_model(r, capacity, c) := d if {
	raw_params := util.tag(r, c.model_params_tag)
	precision := util.tag(r, c.precision_tag)
	n_params := model.params(raw_params)
	n_bytes := model.bytes_per_param(precision)
	n := model.need_gib(n_params, n_bytes)
	n < c.declared_model_below_fraction * capacity
	d := {
		"need_gib": util.money(n),
		"model_params": n_params,
		"precision": precision,
		"bytes_per_param": n_bytes,
		"serving_overhead_factor": c.serving_overhead_factor,
		"declared_model_below_fraction": c.declared_model_below_fraction,
	}
}
