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
	some r in input.resources
	util.active(r)
	util.has_gpu(r)

	# An idle instance is reported by IA-GPU-001 (stop it), not downsized.
	not util.idle(r)
	needs := {b: d | some b in branches; d := need(r, b)}
	count(needs) > 0

	# The largest need over the branches that fired: the candidate must fit all of them.
	need_gib := max([d.need_gib | some d in needs])
	key := catalog.price_key(r)
	current := catalog.market_price(r)
	not util.unknown_path(r, "region")
	ranked := catalog.frontier[r.provider][r.region][key][catalog.resource_family(r)]
	fitting := [x | some x in ranked; x[3] >= need_gib]
	price := fitting[0][0]
	price < current
	best := data.infraaudit.catalog.offers[r.provider][r.region][fitting[0][2]]
	capacity := capacity_gib(r)
	basis := concat(", ", [b | some b in branches; needs[b]])
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s, %v GiB GPU memory) needs about %v GiB (%s); %s (%v x %s, %v GiB) costs $%v/h instead of $%v/h at %s prices.", [r.uid, r.instance_type, capacity, need_gib, basis, best.instance_type, best.accelerator_count, best.accelerator, best.gpu_memory_gib, price, current, price_label[key]]),
		"evidence": {
			"instance_type": r.instance_type,
			"market": r.market,
			"price_basis": key,
			"gpu_count": util.gpu_count(r),
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
		"estimated_monthly_savings_usd": util.monthly(current - price),
	}
}

# Total GPU memory: from the accelerators, else from the catalog offer of the type.
capacity_gib(r) := c if {
	c := util.gpu_memory_total(r)
} else := c if {
	c := catalog.current_offer(r).gpu_memory_gib
	is_number(c)
}

# (a) Several GPUs with per-device telemetry, some idle (with enough coverage; a device
# without enough coverage counts as busy): the busy ones' memory is needed.
need(r, "idle_devices") := d if {
	devices := r.utilization.devices
	count(devices) >= 2
	min_coverage := util.config.min_coverage
	idle := sort([x.index |
		some x in devices
		x.gpu_percent.p95 < cfg.idle_device_p95_below_percent
		x.gpu_percent.coverage >= min_coverage
	])
	count(idle) > 0
	gpus := util.gpu_count(r)
	busy := gpus - count(idle)
	busy > 0
	d := {
		"need_gib": util.money((busy * capacity_gib(r)) / gpus),
		"idle_device_indexes": idle,
		"busy_gpus": busy,
		"idle_device_p95_below_percent": cfg.idle_device_p95_below_percent,
	}
}

# (b) Peak GPU memory used is a small share of the total.
need(r, "peak_memory") := d if {
	m := util.metric(r, "gpu_memory_used_gib")
	capacity := capacity_gib(r)
	m.max < cfg.peak_memory_below_fraction * capacity
	d := {
		"need_gib": m.max,
		"peak_memory_used_gib": m.max,
		"peak_memory_below_fraction": cfg.peak_memory_below_fraction,
	}
}

# (c) The declared model (tags) needs a small share of the total; usable on preview input.
need(r, "declared_model") := d if {
	raw_params := util.tag(r, cfg.model_params_tag)
	precision := util.tag(r, cfg.precision_tag)
	n_params := model.params(raw_params)
	n_bytes := model.bytes_per_param(precision)
	n := model.need_gib(n_params, n_bytes)
	n < cfg.declared_model_below_fraction * capacity_gib(r)
	d := {
		"need_gib": util.money(n),
		"model_params": n_params,
		"precision": precision,
		"bytes_per_param": n_bytes,
		"serving_overhead_factor": cfg.serving_overhead_factor,
		"declared_model_below_fraction": cfg.declared_model_below_fraction,
	}
}
