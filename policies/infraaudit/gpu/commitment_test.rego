package infraaudit.gpu.commitment_test

import data.infraaudit.gpu.commitment
import data.infraaudit.lib.fixtures_test as fx

steady := fx.with_({"utilization": {"uptime_fraction": 0.99}})

test_part_time_passes if {
	count(commitment.deny) == 0 with input as fx.inventory([fx.resource])
}

test_steady_on_demand_denied if {
	findings := commitment.deny with input as fx.inventory([steady])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 1242.17
	f.evidence.uptime_fraction == 0.99
	f.evidence.gpu_percent_avg == 55
	f.evidence.hourly_on_demand_usd == 5.672
	contains(f.message, "ran 99% of the last 14 days at 55% average GPU utilisation on demand; a 1-year EC2 Instance Savings Plan or reserved instance at an assumed 30% discount saves about $1242.17 a month.")
	contains(f.recommendation, "Savings Plan")
}

test_gcp_committed_use if {
	r := object.union(steady, {"provider": "gcp", "uid": "gcp:proj:us-central1-a:vm"})
	some f in commitment.deny with input as fx.inventory([r])
	contains(f.recommendation, "committed use")
}

test_not_applicable if {
	count(commitment.deny) == 0 with input as fx.inventory([object.union(steady, {"provider": "onprem", "uid": "onprem:fra:h1"})])
	count(commitment.deny) == 0 with input as fx.inventory([object.union(steady, {"market": "spot"})])
	count(commitment.deny) == 0 with input as fx.inventory([object.union(steady, {"market": "reserved"})])
	count(commitment.deny) == 0 with input as fx.inventory([object.union(steady, {"state": "stopped"})])
	count(commitment.deny) == 0 with input as fx.inventory([object.union(steady, {"unknown": ["market"]})])
}

test_low_use_passes if {
	r := object.union(steady, {"utilization": {"gpu_percent": fx.metric(20, 50, 90)}})
	count(commitment.deny) == 0 with input as fx.inventory([r])
}

test_missing_telemetry_no_finding if {
	no_gpu_metric := object.union(fx.without({"utilization"}), {"utilization": {"uptime_fraction": 1}})
	count(commitment.deny) == 0 with input as fx.inventory([no_gpu_metric])
	no_uptime := object.union(fx.without({"utilization"}), {"utilization": {"gpu_percent": fx.metric(80, 90, 99)}})
	count(commitment.deny) == 0 with input as fx.inventory([no_uptime])
	sparse := object.union(steady, {"utilization": {"gpu_percent": {"coverage": 0.1}}})
	count(commitment.deny) == 0 with input as fx.inventory([sparse])
}

test_unpriced_zero_savings if {
	r := object.remove(steady, {"cost"})
	some f in commitment.deny with input as fx.inventory([r])
	f.estimated_monthly_savings_usd == 0
	f.evidence.hourly_on_demand_usd == null
	some g in commitment.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	g.estimated_monthly_savings_usd == 1242.17
}

test_config_override if {
	count(commitment.deny) == 0 with input as fx.inventory([steady]) with data.infraaudit.config.commitment.min_uptime_fraction as 1
	count(commitment.deny) == 0 with input as fx.inventory([steady]) with data.infraaudit.config.commitment.min_avg_gpu_percent as 60
	some f in commitment.deny with input as fx.inventory([steady]) with data.infraaudit.config.commitment.discount_fraction as 0.5
	f.estimated_monthly_savings_usd == 2070.28
}
