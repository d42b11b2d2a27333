# METADATA
# title: IMDSv1 allowed
# description: An AWS GPU instance does not require IMDSv2, so its instance credentials can be stolen through SSRF.
# custom:
#   id: IA-SEC-002
#   severity: medium
#   category: security
#   sources: [scan, preview]
#   remediation: Require IMDSv2 (HttpTokens=required) on the instance and in its launch template.
package infraaudit.security.imdsv2

import data.infraaudit.lib.util

deny contains finding if {
	some r in input.resources
	r.security.imdsv2_required == false
	r.provider == "aws"
	r.state != "terminated" # util.present, inlined: evaluated per resource
	r.accelerators[0] # util.has_gpu, inlined
	not util.unknown_in(object.get(r, "unknown", []), "security.imdsv2_required")
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s (%s) allows IMDSv1: IMDSv2 is not required.", [r.uid, r.instance_type]),
		"evidence": {"imdsv2_required": false, "region": r.region},
		"recommendation": sprintf(
			"Run `aws ec2 modify-instance-metadata-options --http-tokens required` for %s and set metadata_options.http_tokens = \"required\" in its launch template.",
			[r.uid],
		),
		"estimated_monthly_savings_usd": 0,
	}
}
