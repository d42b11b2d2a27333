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
	keys := required # read once per query, not per resource
	some r in input.resources

	# By the required tags only, not the resource nor all its tags (a Name tag is often
	# unique): resources share few such sets, so OPA's function cache answers most calls.
	absent := absent_tags(object.filter(r.tags, keys), keys)
	count(absent) > 0
	r.state != "terminated" # util.present
	r.accelerators[0] # util.has_gpu
	unknown := object.get(r, "unknown", [])
	not util.unknown_in(unknown, "tags") # util.tags_known(r)
	is_object(r.tags)
	missing := missing_tags(absent, unknown)
	count(missing) > 0
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s) is missing %v of the %v required tags: %s.",
			[r.uid, r.instance_type, count(missing), count(keys), concat(", ", missing)],
		),
		"evidence": {
			"missing": missing,
			"required": keys,
			"present": sort(object.keys(r.tags)),
		},
		"recommendation": sprintf("Add the tags %s to %s.", [concat(", ", missing), r.uid]),
		"estimated_monthly_savings_usd": 0,
	}
}

# The required keys (in config order) that the tags lack or leave blank.
absent_tags(tags, keys) := [key | some key in keys; trim_space(object.get(tags, key, "")) == ""]

# The absent keys whose tags are not unknown (preview), sorted; by value, so cached.
missing_tags(absent, unknown) := sort([key | some key in absent; not util.unknown_in(unknown, concat(".", ["tags", key]))])
