# METADATA
# title: Data residency violated
# description: >-
#   A GPU resource tagged with a data classification runs in a location that the
#   classification does not allow, or carries a classification the config does not define.
# custom:
#   id: IA-RES-001
#   severity: critical
#   category: compliance
#   sources: [scan, preview]
#   remediation: Move the workload (and its data) to an allowed region, or correct the classification tag.
package infraaudit.residency.data_residency

import data.infraaudit.lib.util

cfg := util.config.residency

known_classes := sort(object.keys(cfg.classes))

# A known class whose patterns do not match "<provider>:<region>".
deny contains finding if {
	some r in input.resources
	class := r.tags[cfg.classification_tag]
	patterns := cfg.classes[class]
	location := util.location(r)
	not util.location_allowed(location, patterns)
	util.tag(r, cfg.classification_tag)
	not util.unknown_path(r, "region")
	util.present(r)
	util.has_gpu(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s is classified %q but runs in %s, which matches none of the allowed locations %v.",
			[r.uid, class, location, patterns],
		),
		"evidence": {
			"classification_tag": cfg.classification_tag,
			"classification": class,
			"location": location,
			"allowed_patterns": patterns,
		},
		"recommendation": sprintf(
			"Move %s and its data to a location matching %v, or correct its %s tag.",
			[r.uid, patterns, cfg.classification_tag],
		),
		"estimated_monthly_savings_usd": 0,
	}
}

# A classification the config does not define: it cannot be checked, so it is denied.
deny contains finding if {
	some r in input.resources
	class := r.tags[cfg.classification_tag]
	not cfg.classes[class]
	util.non_blank(class)
	util.tag(r, cfg.classification_tag)
	not util.unknown_path(r, "region")
	util.present(r)
	util.has_gpu(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s has the unknown data classification %q (tag %s); known classes are %v.",
			[r.uid, class, cfg.classification_tag, known_classes],
		),
		"evidence": {
			"classification_tag": cfg.classification_tag,
			"classification": class,
			"location": util.location(r),
			"known_classes": known_classes,
		},
		"recommendation": sprintf(
			"Set the %s tag of %s to one of %v, or add %q to residency.classes in the config.",
			[cfg.classification_tag, r.uid, known_classes, class],
		),
		"estimated_monthly_savings_usd": 0,
	}
}
