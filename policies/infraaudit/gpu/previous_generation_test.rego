package infraaudit.gpu.previous_generation_test

import data.infraaudit.gpu.previous_generation as prevgen
import data.infraaudit.lib.fixtures_test as fx

p3 := fx.with_({
	"instance_type": "p3.2xlarge",
	"accelerators": [{"model": "V100", "count": 1, "memory_gib": 16}],
	"cost": {"hourly_current": 3.06, "hourly_on_demand": 3.06, "hourly_spot": 0.5197},
})

test_current_generation_passes if {
	count(prevgen.deny) == 0 with input as fx.inventory([fx.resource]) with data.infraaudit.catalog as fx.catalog
}

test_successor_offer_named if {
	findings := prevgen.deny with input as fx.inventory([p3]) with data.infraaudit.catalog as fx.catalog
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 1499.42
	f.evidence.successor == "A10G"
	f.evidence.candidate_instance_type == "g5.xlarge"
	f.evidence.candidate_hourly_usd == 1.006
	f.evidence.current_hourly_usd == 3.06
	contains(f.message, "uses 1 x V100, a previous generation; g5.xlarge (1 x A10G) costs $1.006/h instead of $3.06/h.")
}

test_spot_market_uses_spot_prices if {
	r := object.union(p3, {"market": "spot"})
	findings := prevgen.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.evidence.price_basis == "spot"
	f.evidence.candidate_hourly_usd == 0.397
	f.estimated_monthly_savings_usd == 89.57
}

test_successor_dearer_zero_savings if {
	r := object.union(p3, {"cost": {"hourly_on_demand": 0.9}})
	findings := prevgen.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.estimated_monthly_savings_usd == 0
	f.evidence.candidate_instance_type == "g5.xlarge"
}

test_no_catalog_family_only if {
	findings := prevgen.deny with input as fx.inventory([p3])
	count(findings) == 1
	some f in findings
	f.estimated_monthly_savings_usd == 0
	f.evidence.successor == "A10G"
	not f.evidence.candidate_instance_type
	contains(f.message, "its successor family is A10G")
}

test_no_same_count_offer_family_only if {
	r := object.union(p3, {"instance_type": "p3.8xlarge", "accelerators": [{"model": "V100", "count": 4, "memory_gib": 16}]})
	findings := prevgen.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.estimated_monthly_savings_usd == 0
	contains(f.recommendation, "4 x A10G")
}

test_unpriced_current if {
	r := object.union(object.remove(p3, {"cost"}), {"instance_type": "p3.custom"})
	findings := prevgen.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.estimated_monthly_savings_usd == 0
	f.evidence.current_hourly_usd == null
	f.evidence.candidate_instance_type == "g5.xlarge"
}

test_preview_and_unknown_values if {
	pv := object.union(fx.preview, {"instance_type": "p3.2xlarge", "accelerators": [{"model": "V100", "count": 1, "memory_gib": 16}]})
	some f in prevgen.deny with input as fx.inventory([pv]) with data.infraaudit.catalog as fx.catalog
	f.estimated_monthly_savings_usd == 1499.42
	count(prevgen.deny) == 0 with input as fx.inventory([object.union(pv, {"unknown": ["accelerators"]})])
	some g in prevgen.deny with input as fx.inventory([object.union(pv, {"unknown": ["market"]})]) with data.infraaudit.catalog as fx.catalog
	g.estimated_monthly_savings_usd == 0
}

test_stopped_not_judged if {
	count(prevgen.deny) == 0 with input as fx.inventory([object.union(p3, {"state": "stopped"})])
}

test_config_override if {
	count(prevgen.deny) == 0 with input as fx.inventory([p3]) with data.infraaudit.config.previous_generation.accelerators as ["K80"]
	some f in prevgen.deny with input as fx.inventory([p3]) with data.infraaudit.catalog as fx.catalog
		with data.infraaudit.config.previous_generation.successors as {"V100": "L4"}
	f.evidence.candidate_instance_type == "g6.xlarge"

	# A listed model without a successor (`with` merges objects, so list one that has none).
	p4 := object.union(p3, {"accelerators": [{"model": "P4", "count": 1}]})
	some g in prevgen.deny with input as fx.inventory([p4]) with data.infraaudit.config.previous_generation.accelerators as ["P4"]
	g.evidence.successor == "a current-generation accelerator"
}
