package infraaudit.gpu.oversized_test

import data.infraaudit.gpu.oversized
import data.infraaudit.lib.fixtures_test as fx

uid := "aws:111122223333:us-east-1:i-0abc"

# Three of four GPUs idle: one busy A10G (22.35 GiB) is needed.
idle_devices := fx.with_({"utilization": {"devices": [
	{"index": 0, "gpu_percent": fx.metric(60, 90, 99)},
	{"index": 1, "gpu_percent": fx.metric(0.5, 1, 3)},
	{"index": 2, "gpu_percent": fx.metric(0.5, 1, 3)},
	{"index": 3, "gpu_percent": fx.metric(0.5, 1, 3)},
]}})

# Peak GPU memory 10 GiB of 89.4 GiB.
low_peak := fx.with_({"utilization": {"gpu_memory_used_gib": fx.metric(6, 9, 10)}})

# A declared 7B bf16 model: 7e9 x 2 x 1.2 / 2^30 = 15.65 GiB.
declared_tags := {
	"infraaudit.io/model-params": "7B",
	"infraaudit.io/precision": "bf16",
}

declared := fx.with_({"tags": declared_tags})

deny_one(r) := f if {
	findings := oversized.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	count(findings) == 1
	some f in findings
}

none(r) if {
	count(oversized.deny) == 0 with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
}

test_right_sized_passes if {
	none(fx.resource)
}

test_idle_devices_denied if {
	f := deny_one(idle_devices)
	f.resource_uid == uid
	f.estimated_monthly_savings_usd == 3553.06
	f.evidence.need_gib == 22.35
	f.evidence.capacity_gib == 89.4
	f.evidence.candidate_instance_type == "g6.xlarge"
	f.evidence.candidate_hourly_usd == 0.8048
	f.evidence.current_hourly_usd == 5.672
	f.evidence.needs.idle_devices.idle_device_indexes == [1, 2, 3]
	f.evidence.needs.idle_devices.busy_gpus == 1
	contains(f.message, "(g5.12xlarge, 89.4 GiB GPU memory) needs about 22.35 GiB (idle_devices); g6.xlarge (1 x L4, 22.35 GiB) costs $0.8048/h instead of $5.672/h at on-demand prices.")
	contains(f.recommendation, "to g6.xlarge")
}

test_sparse_idle_device_counts_as_busy if {
	# Two idle devices judged, one idle but sparse: 2 busy x 22.35 GiB = 44.7 GiB, and
	# nothing cheaper than g5.12xlarge fits that in the fixture catalog.
	r := object.union(idle_devices, {"utilization": {"devices": [
		{"index": 0, "gpu_percent": fx.metric(60, 90, 99)},
		{"index": 1, "gpu_percent": fx.metric(0.5, 1, 3)},
		{"index": 2, "gpu_percent": fx.metric(0.5, 1, 3)},
		{"index": 3, "gpu_percent": object.union(fx.metric(0.5, 1, 3), {"coverage": 0.2})},
	]}})
	none(r)
	wide := {"offers": {"aws": {"us-east-1": [fx.offer("g6e.xlarge", "L40S", 1, 44.7, 1.861, 0.787)]}}}
	some f in oversized.deny with input as fx.inventory([r]) with data.infraaudit.catalog as wide
	f.evidence.needs.idle_devices.busy_gpus == 2
	f.evidence.needs.idle_devices.idle_device_indexes == [1, 2]
	f.evidence.candidate_instance_type == "g6e.xlarge"
}

test_low_peak_memory_denied if {
	f := deny_one(low_peak)
	f.resource_uid == uid
	f.evidence.need_gib == 10
	f.evidence.candidate_instance_type == "g4dn.xlarge"
	f.estimated_monthly_savings_usd == 3756.58
}

test_declared_model_denied if {
	f := deny_one(declared)
	f.resource_uid == uid
	f.evidence.need_gib == 15.65
	f.evidence.needs.declared_model.model_params == 7000000000
	f.evidence.candidate_instance_type == "g4dn.xlarge"
	f.estimated_monthly_savings_usd == 3756.58
}

test_declared_model_on_preview if {
	r := object.union(fx.preview, {"tags": declared_tags})
	f := deny_one(r)
	f.resource_uid == "aws:111122223333:us-east-1:aws_instance.trainer"
	f.evidence.current_hourly_usd == 5.672
	f.evidence.candidate_instance_type == "g4dn.xlarge"
}

test_largest_need_wins if {
	r := object.union(idle_devices, {"tags": declared_tags})
	f := deny_one(r)
	f.evidence.need_gib == 22.35
	f.evidence.candidate_instance_type == "g6.xlarge"
	object.keys(f.evidence.needs) == {"idle_devices", "declared_model"}
}

test_spot_market_compares_spot_prices if {
	r := object.union(idle_devices, {"market": "spot", "cost": {"hourly_current": 1.9937}})
	f := deny_one(r)
	f.evidence.price_basis == "spot"
	f.evidence.candidate_hourly_usd == 0.3879
	f.estimated_monthly_savings_usd == 1172.23
}

test_no_catalog_no_finding if {
	count(oversized.deny) == 0 with input as fx.inventory([idle_devices, low_peak, declared])
}

test_no_cheaper_fitting_offer if {
	only_current := {"offers": {"aws": {"us-east-1": [fx.catalog.offers.aws["us-east-1"][0]]}}}
	count(oversized.deny) == 0 with input as fx.inventory([idle_devices]) with data.infraaudit.catalog as only_current
	big := fx.with_({"tags": {"infraaudit.io/model-params": "13B", "infraaudit.io/precision": "fp16"}})
	none(big)
}

test_other_families_not_recommended if {
	# Only Gaudi, Arm T4g and Inferentia are cheaper and big enough: none is CUDA on x86.
	odd := {"offers": {"aws": {"us-east-1": [
		fx.offer("g5.12xlarge", "A10G", 4, 89.41, 5.672, 1.9937),
		fx.offer("g5g.xlarge", "T4g", 1, 16, 0.42, 0.1422),
		fx.offer("dl1.24xlarge", "Gaudi HL-205", 8, 256, 1, 1),
		{"instance_type": "inf2.xlarge", "accelerator": "Inferentia2", "accelerator_count": 1, "on_demand": 0.7582},
	]}}}
	count(oversized.deny) == 0 with input as fx.inventory([low_peak]) with data.infraaudit.catalog as odd
}

test_missing_data_no_finding if {
	# No telemetry, no tags, sparse device telemetry, unknown sizes.
	none(fx.without({"utilization"}))
	sparse := object.union(idle_devices, {"utilization": {"devices": [
		{"index": 0, "gpu_percent": {"coverage": 0.1}},
		{"index": 1, "gpu_percent": {"coverage": 0.1}},
		{"index": 2, "gpu_percent": {"coverage": 0.1}},
		{"index": 3, "gpu_percent": {"coverage": 0.1}},
	]}})
	none(sparse)
	sparse_peak := object.union(low_peak, {"utilization": {"gpu_memory_used_gib": {"coverage": 0.1}}})
	none(sparse_peak)
	no_sizes := object.union(object.remove(low_peak, {"accelerators"}), {"accelerators": [{"model": "A10G", "count": 4}], "instance_type": "x9.huge"})
	none(no_sizes)
}

test_capacity_from_catalog if {
	r := object.union(object.remove(low_peak, {"accelerators"}), {"accelerators": [{"model": "A10G", "count": 4}]})
	f := deny_one(r)
	f.evidence.capacity_gib == 89.41
}

test_all_devices_idle_left_to_idle_rule if {
	idle := {"index": 0, "gpu_percent": fx.metric(0.5, 1, 3)}
	all_idle := object.union(idle_devices, {"utilization": {"devices": [idle, idle, idle, idle]}})
	none(all_idle)
	single := object.union(idle_devices, {"utilization": {"devices": [idle]}})
	none(single)
}

test_unparseable_or_unknown_declaration if {
	none(fx.with_({"tags": {"infraaudit.io/model-params": "llama", "infraaudit.io/precision": "bf16"}}))
	none(fx.with_({"tags": {"infraaudit.io/model-params": "7B", "infraaudit.io/precision": "fp6"}}))
	none(fx.with_({"tags": {"infraaudit.io/model-params": "7B"}}))
	none(object.union(declared, {"unknown": ["tags"]}))
	none(object.union(fx.preview, {"tags": declared_tags, "unknown": ["instance_type"]}))
	none(object.union(fx.preview, {"tags": declared_tags, "unknown": ["market"]}))
	none(object.union(fx.preview, {"tags": declared_tags, "unknown": ["region"]}))
}

test_idle_left_to_idle_rule if {
	r := object.union(low_peak, {"utilization": {"gpu_percent": fx.metric(1, 2, 5)}})
	none(r)
}

test_stopped_not_judged if {
	none(object.union(idle_devices, {"state": "stopped"}))
}

test_threshold_override if {
	count(oversized.deny) == 0 with input as fx.inventory([low_peak])
		with data.infraaudit.catalog as fx.catalog
		with data.infraaudit.config.oversized.peak_memory_below_fraction as 0.1
	count(oversized.deny) == 0 with input as fx.inventory([idle_devices])
		with data.infraaudit.catalog as fx.catalog
		with data.infraaudit.config.oversized.idle_device_p95_below_percent as 0.5
	count(oversized.deny) == 0 with input as fx.inventory([declared])
		with data.infraaudit.catalog as fx.catalog
		with data.infraaudit.config.oversized.declared_model_below_fraction as 0.1
	f := deny_one(fx.with_({"tags": {"infraaudit.io/model-params": "7B", "infraaudit.io/precision": "bf16", "owner": "a"}})) with data.infraaudit.config.oversized.serving_overhead_factor as 1.6
	f.evidence.need_gib == 20.86
	f.evidence.candidate_instance_type == "g6.xlarge"
	g := deny_one(fx.with_({"tags": {"size": "7B", "prec": "bf16"}})) with data.infraaudit.config.oversized.model_params_tag as "size"
		with data.infraaudit.config.oversized.precision_tag as "prec"
	g.evidence.need_gib == 15.65
}

test_without_unknown_list_denied if {
	# A resource without an unknown list (not a preview): its values are all known.
	f := deny_one(object.remove(low_peak, {"unknown"}))
	f.evidence.candidate_instance_type == "g4dn.xlarge"
}
