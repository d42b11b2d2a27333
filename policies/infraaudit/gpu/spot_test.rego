package infraaudit.gpu.spot_test

import data.infraaudit.gpu.spot
import data.infraaudit.lib.fixtures_test as fx

batch := fx.with_({"tags": {"workload": "Training"}})

flagged := fx.with_({"tags": {"infraaudit.io/interruptible": "true"}})

test_not_interruptible_passes if {
	count(spot.deny) == 0 with input as fx.inventory([fx.resource])
	count(spot.deny) == 0 with input as fx.inventory([fx.with_({"tags": {"workload": "inference"}})])
}

test_workload_tag_denied if {
	findings := spot.deny with input as fx.inventory([batch])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 2685.16
	f.evidence.hourly_on_demand_usd == 5.672
	f.evidence.hourly_spot_usd == 1.9937
	f.evidence.workload == "Training"
	contains(f.message, "its workload tag is \"Training\"; spot costs $1.9937/h instead of $5.672/h")
	contains(f.recommendation, "a spot instance")
}

test_interruptible_tag_denied if {
	findings := spot.deny with input as fx.inventory([flagged])
	some f in findings
	contains(f.message, "tagged infraaudit.io/interruptible=true")
	f.estimated_monthly_savings_usd == 2685.16
}

test_opted_out_passes if {
	r := object.union(batch, {"tags": {"infraaudit.io/spot-opt-out": "True"}})
	count(spot.deny) == 0 with input as fx.inventory([r])
}

test_not_on_demand_passes if {
	count(spot.deny) == 0 with input as fx.inventory([object.union(batch, {"market": "spot"})])
	count(spot.deny) == 0 with input as fx.inventory([object.union(batch, {"market": "reserved"})])
}

test_unpriced_reported_without_savings if {
	r := object.remove(batch, {"cost"})
	findings := spot.deny with input as fx.inventory([r])
	some f in findings
	f.estimated_monthly_savings_usd == 0
	f.evidence.reason == "its workload tag is \"Training\""
	contains(f.message, "no saving is estimated")
}

test_priced_from_catalog if {
	r := object.remove(batch, {"cost"})
	findings := spot.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.estimated_monthly_savings_usd == 2685.16
}

test_spot_not_cheaper_no_finding if {
	r := object.union(batch, {"cost": {"hourly_spot": 6}})
	count(spot.deny) == 0 with input as fx.inventory([r])
}

test_unknown_preview_values if {
	p := object.union(fx.preview, {"tags": {"workload": "batch"}})
	count(spot.deny) == 1 with input as fx.inventory([p])
	count(spot.deny) == 0 with input as fx.inventory([object.union(p, {"unknown": ["market"]})])
	count(spot.deny) == 0 with input as fx.inventory([object.union(p, {"unknown": ["tags"]})])
	count(spot.deny) == 0 with input as fx.inventory([object.union(p, {"unknown": ["tags.infraaudit.io/spot-opt-out"]})])
}

test_not_judged if {
	count(spot.deny) == 0 with input as fx.inventory([object.union(batch, {"state": "stopped"})])
	count(spot.deny) == 0 with input as fx.inventory([object.union(batch, {"accelerators": []})])
	onprem := object.union(batch, {"provider": "onprem", "uid": "onprem:fra:host1"})
	count(spot.deny) == 0 with input as fx.inventory([onprem])
}

test_gcp_wording if {
	r := object.union(batch, {"provider": "gcp", "uid": "gcp:proj:us-central1-a:vm"})
	findings := spot.deny with input as fx.inventory([r])
	some f in findings
	contains(f.recommendation, "a Spot VM")
}

test_config_override if {
	count(spot.deny) == 0 with input as fx.inventory([batch])
		with data.infraaudit.config.spot.interruptible_workloads as ["batch"]
	r := fx.with_({"tags": {"kind": "render"}})
	count(spot.deny) == 1 with input as fx.inventory([r])
		with data.infraaudit.config.spot.workload_tag as "kind"
		with data.infraaudit.config.spot.interruptible_workloads as ["render"]
	count(spot.deny) == 0 with input as fx.inventory([object.union(flagged, {"tags": {"no-spot": "true"}})])
		with data.infraaudit.config.spot.opt_out_tag as "no-spot"
}

test_without_unknown_list_denied if {
	# A resource without an unknown list (not a preview): its values are all known.
	count(spot.deny) == 1 with input as fx.inventory([object.remove(batch, {"unknown"})])
}

test_savings_scale_with_planned_instances if {
	group := object.union(batch, {"count": 3})
	some f in spot.deny with input as fx.inventory([group])
	f.estimated_monthly_savings_usd == 8055.48

	template := object.union(batch, {"count": 0})
	some g in spot.deny with input as fx.inventory([template])
	g.estimated_monthly_savings_usd == 0
}

test_gcp_label_forms_of_the_keys if {
	# GCP labels cannot hold "." or "/": infraaudit_io_spot-opt-out opts out, infraaudit_io_interruptible flags.
	opted := object.union(batch, {"tags": {"workload": "training", "infraaudit_io_spot-opt-out": "true"}})
	count(spot.deny) == 0 with input as fx.inventory([opted])
	flag := fx.with_({"tags": {"infraaudit_io_interruptible": "TRUE"}})
	some f in spot.deny with input as fx.inventory([flag])
	contains(f.message, "tagged infraaudit.io/interruptible=true")
}
