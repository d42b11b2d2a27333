package infraaudit.gpu.telemetry_test

import data.infraaudit.gpu.telemetry
import data.infraaudit.lib.fixtures_test as fx

blind := fx.without({"utilization"})

test_with_telemetry_passes if {
	count(telemetry.deny) == 0 with input as fx.inventory([fx.resource])
}

test_no_telemetry_denied if {
	findings := telemetry.deny with input as fx.inventory([blind])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.gpu_count == 4
	contains(f.message, "CloudWatch agent")
}

test_utilization_without_gpu_metric_denied if {
	r := object.union(blind, {"utilization": {"cpu_percent": fx.metric(10, 20, 30)}})
	count(telemetry.deny) == 1 with input as fx.inventory([r])
}

test_message_per_provider if {
	gcp := object.union(blind, {"provider": "gcp", "uid": "gcp:proj:us-central1-a:vm"})
	some g in telemetry.deny with input as fx.inventory([gcp])
	contains(g.message, "Ops Agent")
	onprem := object.union(blind, {"provider": "onprem", "uid": "onprem:fra:host1"})
	some o in telemetry.deny with input as fx.inventory([onprem])
	contains(o.message, "DCGM exporter")
}

test_sparse_telemetry_denied if {
	r := fx.with_({"utilization": {"gpu_percent": {"coverage": 0.25, "samples": 84}}})
	findings := telemetry.deny with input as fx.inventory([r])
	count(findings) == 1
	some f in findings
	f.evidence.coverage == 0.25
	contains(f.message, "only 25% of the lookback window (84 samples), below the 70% needed")
	count(telemetry.deny) == 0 with input as fx.inventory([r]) with data.infraaudit.config.min_coverage as 0.2
}

test_not_judged if {
	count(telemetry.deny) == 0 with input as fx.inventory([object.union(blind, {"state": "stopped"})])
	count(telemetry.deny) == 0 with input as fx.inventory([object.union(blind, {"state": "pending"})])
	count(telemetry.deny) == 0 with input as fx.inventory([object.union(blind, {"source": "file"})])
	count(telemetry.deny) == 0 with input as fx.inventory([object.union(blind, {"accelerators": []})])
	count(telemetry.deny) == 0 with input as fx.inventory([fx.preview])
}

# The collector could not read CloudWatch (a coverage gap): no "install the agent" finding.
test_unreadable_telemetry_not_judged if {
	count(telemetry.deny) == 0 with input as fx.inventory([object.union(blind, {"unknown": ["utilization"]})])
}
