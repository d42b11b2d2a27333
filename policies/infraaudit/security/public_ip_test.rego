package infraaudit.security.public_ip_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.security.public_ip

exposed := fx.with_({"security": {"public_ip": true}})

test_private_passes if {
	count(public_ip.deny) == 0 with input as fx.inventory([fx.resource])
}

test_public_ip_denied if {
	findings := public_ip.deny with input as fx.inventory([exposed])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.public_ip == true
	contains(f.recommendation, "SSM Session Manager")
}

test_unknown_no_finding if {
	count(public_ip.deny) == 0 with input as fx.inventory([object.union(exposed, {"unknown": ["security.public_ip"]})])
	count(public_ip.deny) == 0 with input as fx.inventory([object.union(exposed, {"unknown": ["security"]})])
	no_security := object.union(fx.without({"security"}), {"security": {}})
	count(public_ip.deny) == 0 with input as fx.inventory([no_security])
}

test_not_applicable if {
	count(public_ip.deny) == 0 with input as fx.inventory([object.union(exposed, {"accelerators": []})])
	count(public_ip.deny) == 0 with input as fx.inventory([object.union(exposed, {"state": "terminated"})])
}

test_preview_and_gcp_denied if {
	p := object.union(fx.preview, {"provider": "gcp", "uid": "gcp:proj:us-central1-a:google_compute_instance.vm", "security": {"public_ip": true}})
	some f in public_ip.deny with input as fx.inventory([p])
	contains(f.recommendation, "Identity-Aware Proxy")
}

test_without_unknown_list_denied if {
	# A resource without an unknown list (not a preview): its values are all known.
	count(public_ip.deny) == 1 with input as fx.inventory([object.remove(exposed, {"unknown"})])
}
