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
	some r in input.resources
	util.tag_missing(r, cfg.classification_tag)
	util.present(r)
	util.has_gpu(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s (%s in %s) has no %s tag, so its data residency cannot be checked.",
			[r.uid, r.instance_type, r.region, cfg.classification_tag],
		),
		"evidence": {
			"classification_tag": cfg.classification_tag,
			"known_classes": known_classes,
		},
		"recommendation": sprintf(
			"Tag %s with %s set to one of %v.",
			[r.uid, cfg.classification_tag, known_classes],
		),
		"estimated_monthly_savings_usd": 0,
	}
}
