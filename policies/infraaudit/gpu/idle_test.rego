package infraaudit.gpu.idle_test

import data.infraaudit.gpu.idle
import data.infraaudit.lib.fixtures_test as fx

idle_resource := fx.with_({"utilization": {"gpu_percent": fx.metric(0.8, 2, 9)}})

test_busy_passes if {
	count(idle.deny) == 0 with input as fx.inventory([fx.resource])
}

test_idle_denied if {
	findings := idle.deny with input as fx.inventory([idle_resource])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 4140.56
	f.evidence.gpu_percent_p95 == 2
	f.evidence.gpu_percent_max == 9
	f.evidence.p95_below_percent == 5
	f.evidence.hourly_current_usd == 5.672
	contains(f.message, "had GPU utilisation p95 2% and max 9% over 14 days; thresholds are p95 < 5% and max < 15%.")
	contains(f.recommendation, "g5.12xlarge")
	object.keys(f) == {"resource_uid", "message", "evidence", "recommendation", "estimated_monthly_savings_usd"}
}

test_idle_unpriced_zero_savings if {
	r := object.remove(idle_resource, {"cost"})
	findings := idle.deny with input as fx.inventory([r])
	some f in findings
	f.estimated_monthly_savings_usd == 0
}

test_idle_priced_from_catalog if {
	r := object.remove(idle_resource, {"cost"})
	findings := idle.deny with input as fx.inventory([r]) with data.infraaudit.catalog as fx.catalog
	some f in findings
	f.estimated_monthly_savings_usd == 4140.56
}

test_idle_pending_denied if {
	r := object.union(idle_resource, {"state": "pending"})
	count(idle.deny) == 1 with input as fx.inventory([r])
}

test_max_spike_not_idle if {
	r := fx.with_({"utilization": {"gpu_percent": fx.metric(0.8, 2, 40)}})
	count(idle.deny) == 0 with input as fx.inventory([r])
}

test_no_telemetry_not_idle if {
	count(idle.deny) == 0 with input as fx.inventory([fx.without({"utilization"})])
	r := object.union(fx.without({"utilization"}), {"utilization": {"uptime_fraction": 1}})
	count(idle.deny) == 0 with input as fx.inventory([r])
}

test_low_coverage_not_idle if {
	r := object.union(idle_resource, {"utilization": {"gpu_percent": {"coverage": 0.3}}})
	count(idle.deny) == 0 with input as fx.inventory([r])
}

test_stopped_not_judged if {
	r := object.union(idle_resource, {"state": "stopped"})
	count(idle.deny) == 0 with input as fx.inventory([r])
}

test_no_gpu_not_judged if {
	r := object.union(idle_resource, {"accelerators": []})
	count(idle.deny) == 0 with input as fx.inventory([r])
}

test_preview_without_telemetry if {
	count(idle.deny) == 0 with input as fx.inventory([fx.preview])
}

test_threshold_override if {
	count(idle.deny) == 0 with input as fx.inventory([idle_resource])
		with data.infraaudit.config.idle.p95_below_percent as 1
	count(idle.deny) == 1 with input as fx.inventory([fx.resource])
		with data.infraaudit.config.idle as {"p95_below_percent": 90, "max_below_percent": 99}
	count(idle.deny) == 0 with input as fx.inventory([object.union(idle_resource, {"utilization": {"gpu_percent": {"coverage": 0.75}}})])
		with data.infraaudit.config.min_coverage as 0.8
}
