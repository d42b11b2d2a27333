# METADATA
# title: Unencrypted boot disk
# description: A GPU instance's boot disk is not encrypted at rest.
# custom:
#   id: IA-SEC-003
#   severity: high
#   category: security
#   sources: [scan, preview]
#   remediation: Recreate the boot disk from an encrypted snapshot (or enable encryption by default) and replace the instance's disk.
package infraaudit.security.disk_encryption

import data.infraaudit.lib.util

deny contains finding if {
	some r in input.resources
	r.security.boot_disk_encrypted == false
	r.state != "terminated" # util.present, inlined: evaluated per resource
	r.accelerators[0] # util.has_gpu, inlined
	not util.unknown_in(object.get(r, "unknown", []), "security.boot_disk_encrypted")
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s in %s) has an unencrypted boot disk.", [r.uid, r.instance_type, r.region]),
		"evidence": {"boot_disk_encrypted": false, "provider": r.provider, "region": r.region},
		"recommendation": sprintf("Encrypt the boot disk of %s: %s.", [r.uid, how[r.provider]]),
		"estimated_monthly_savings_usd": 0,
	}
}

how := {
	"aws": "copy its snapshot with encryption, create an encrypted volume and swap it in, and turn on EBS encryption by default",
	"gcp": "recreate the boot disk with the required encryption key (CMEK) from a snapshot and swap it in",
	"onprem": "reinstall with full-disk encryption (LUKS) or enable self-encrypting drive support",
}
