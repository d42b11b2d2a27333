# METADATA
# title: GPU instance with a public IP
# description: A GPU instance has a public IP address, exposing it (and often a notebook or inference port) to the internet.
# custom:
#   id: IA-SEC-001
#   severity: high
#   category: security
#   sources: [scan, preview]
#   remediation: Remove the public IP and reach the instance through a bastion, VPN, SSM Session Manager or IAP.
package infraaudit.security.public_ip

import data.infraaudit.lib.util

deny contains finding if {
	some r in input.resources
	r.security.public_ip == true
	r.state != "terminated" # util.present, inlined: evaluated per resource
	r.accelerators[0] # util.has_gpu, inlined
	not util.unknown_in(object.get(r, "unknown", []), "security.public_ip")
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s in %s) has a public IP address.", [r.uid, r.instance_type, r.region]),
		"evidence": {"public_ip": true, "provider": r.provider, "region": r.region},
		"recommendation": sprintf(
			"Remove the public IP of %s and reach it through %s.",
			[r.uid, access[r.provider]],
		),
		"estimated_monthly_savings_usd": 0,
	}
}

access := {
	"aws": "SSM Session Manager, a bastion or a VPN",
	"gcp": "Identity-Aware Proxy, a bastion or a VPN",
	"onprem": "a bastion or a VPN",
}
