package infraaudit.security.imdsv2_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.security.imdsv2

v1 := fx.with_({"security": {"imdsv2_required": false}})

test_required_passes if {
	count(imdsv2.deny) == 0 with input as fx.inventory([fx.resource])
}

test_imdsv1_denied if {
	findings := imdsv2.deny with input as fx.inventory([v1])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.imdsv2_required == false
	contains(f.recommendation, "--http-tokens required")
}

test_unknown_no_finding if {
	count(imdsv2.deny) == 0 with input as fx.inventory([object.union(v1, {"unknown": ["security.imdsv2_required"]})])
	no_security := object.union(fx.without({"security"}), {"security": {"public_ip": false}})
	count(imdsv2.deny) == 0 with input as fx.inventory([no_security])
}

test_aws_only if {
	count(imdsv2.deny) == 0 with input as fx.inventory([object.union(v1, {"provider": "gcp", "uid": "gcp:p:z:vm"})])
	count(imdsv2.deny) == 0 with input as fx.inventory([object.union(v1, {"accelerators": []})])
	count(imdsv2.deny) == 0 with input as fx.inventory([object.union(v1, {"state": "terminated"})])
}

test_preview_denied if {
	count(imdsv2.deny) == 1 with input as fx.inventory([object.union(fx.preview, {"security": {"imdsv2_required": false}})])
}
