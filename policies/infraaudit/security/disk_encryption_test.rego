package infraaudit.security.disk_encryption_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.security.disk_encryption

plain := fx.with_({"security": {"boot_disk_encrypted": false}})

test_encrypted_passes if {
	count(disk_encryption.deny) == 0 with input as fx.inventory([fx.resource])
}

test_unencrypted_denied if {
	findings := disk_encryption.deny with input as fx.inventory([plain])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.boot_disk_encrypted == false
	contains(f.message, "unencrypted boot disk")
}

test_unknown_no_finding if {
	count(disk_encryption.deny) == 0 with input as fx.inventory([object.union(plain, {"unknown": ["security.boot_disk_encrypted"]})])
	no_security := object.union(fx.without({"security"}), {"security": {}})
	count(disk_encryption.deny) == 0 with input as fx.inventory([no_security])
}

test_not_applicable if {
	count(disk_encryption.deny) == 0 with input as fx.inventory([object.union(plain, {"accelerators": []})])
	count(disk_encryption.deny) == 0 with input as fx.inventory([object.union(plain, {"state": "terminated"})])
}

test_preview_and_onprem_denied if {
	p := object.union(fx.preview, {"security": {"boot_disk_encrypted": false}})
	count(disk_encryption.deny) == 1 with input as fx.inventory([p])
	o := object.union(plain, {"provider": "onprem", "uid": "onprem:fra:h1"})
	some f in disk_encryption.deny with input as fx.inventory([o])
	contains(f.recommendation, "LUKS")
}
