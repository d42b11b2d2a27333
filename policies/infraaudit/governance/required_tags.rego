# METADATA
# title: Missing cost-allocation tags
# description: A GPU resource lacks one or more required cost-allocation tags (missing or empty).
# custom:
#   id: IA-GOV-001
#   severity: low
#   category: governance
#   sources: [scan, preview]
#   remediation: Add the missing tags so the cost can be allocated to an owner, a team and a cost center.
package infraaudit.governance.required_tags

import data.infraaudit.lib.util

required := util.config.tagging.required

deny contains finding if {
	some r in input.resources
	absent := [key | some key in required; trim_space(object.get(r.tags, key, "")) == ""]
	count(absent) > 0
	util.present(r)
	util.has_gpu(r)
	util.tags_known(r)
	missing := sort([key | some key in absent; not util.unknown_path(r, concat(".", ["tags", key]))])
	count(missing) > 0
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s) is missing %v of the %v required tags: %s.",
			[r.uid, r.instance_type, count(missing), count(required), concat(", ", missing)],
		),
		"evidence": {
			"missing": missing,
			"required": required,
			"present": sort(object.keys(r.tags)),
		},
		"recommendation": sprintf("Add the tags %s to %s.", [concat(", ", missing), r.uid]),
		"estimated_monthly_savings_usd": 0,
	}
}
