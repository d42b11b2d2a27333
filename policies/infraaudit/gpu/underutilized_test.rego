package infraaudit.gpu.underutilized_test

import data.infraaudit.gpu.underutilized
import data.infraaudit.lib.fixtures_test as fx

low := fx.with_({"utilization": {"gpu_percent": fx.metric(12.5, 40, 70)}})

test_busy_passes if {
	count(underutilized.deny) == 0 with input as fx.inventory([fx.resource])
}

test_underutilized_denied if {
	findings := underutilized.deny with input as fx.inventory([low])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.gpu_percent_avg == 12.5
	f.evidence.avg_below_percent == 30
	f.evidence.gpu_count == 4
	contains(f.message, "averaged 12.5% GPU utilisation (p95 40%) over 14 days, below the 30% threshold.")
}

test_idle_not_double_reported if {
	r := fx.with_({"utilization": {"gpu_percent": fx.metric(1, 2, 5)}})
	count(underutilized.deny) == 0 with input as fx.inventory([r])
}

test_missing_or_sparse_telemetry if {
	count(underutilized.deny) == 0 with input as fx.inventory([fx.without({"utilization"})])
	sparse := object.union(low, {"utilization": {"gpu_percent": {"coverage": 0.2}}})
	count(underutilized.deny) == 0 with input as fx.inventory([sparse])
	count(underutilized.deny) == 0 with input as fx.inventory([fx.preview])
}

test_stopped_not_judged if {
	count(underutilized.deny) == 0 with input as fx.inventory([object.union(low, {"state": "stopped"})])
}

test_threshold_override if {
	count(underutilized.deny) == 0 with input as fx.inventory([low])
		with data.infraaudit.config.underutilized.avg_below_percent as 10
	count(underutilized.deny) == 1 with input as fx.inventory([fx.resource])
		with data.infraaudit.config.underutilized.avg_below_percent as 60
}
