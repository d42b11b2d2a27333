# METADATA
# title: Unclassified GPU resource
# description: A GPU resource has no data-classification tag, so its data residency cannot be checked.
# custom:
#   id: IA-RES-002
#   severity: medium
#   category: compliance
#   sources: [scan, preview]
#   remediation: Tag the resource with its data classification (one of the classes in the config).
package infraaudit.residency.unclassified

import data.infraaudit.lib.util

cfg := util.config.residency

known_classes := sort(object.keys(cfg.classes))

deny contains finding if {
	# Read once per query, not per resource.
	tag := cfg.classification_tag
	some r in input.resources

	# util.tag_missing(r, tag), inlined: non_blank is cached per distinct tag value.
	not util.non_blank(object.get(r.tags, tag, ""))
	is_object(r.tags)
	unknown := object.get(r, "unknown", [])
	not util.unknown_in(unknown, "tags")
	not util.unknown_in(unknown, concat(".", ["tags", tag]))
	r.state != "terminated" # util.present
	r.accelerators[0] # util.has_gpu
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s in %s) has no %s tag, so its data residency cannot be checked.",
			[r.uid, r.instance_type, r.region, tag],
		),
		"evidence": {
			"classification_tag": tag,
			"known_classes": known_classes,
		},
		"recommendation": sprintf(
			"Tag %s with %s set to one of %v.",
			[r.uid, tag, known_classes],
		),
		"estimated_monthly_savings_usd": 0,
	}
}
