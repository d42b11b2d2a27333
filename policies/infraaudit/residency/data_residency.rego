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

# Each resource with a classification tag and its class, found in one pass over the
# resources for both rules below (not one pass each).
classified := [[r, class] |
	tag := cfg.classification_tag
	some r in input.resources
	class := r.tags[tag]
]

# The classes that restrict locations: the glob "*" (no delimiters) matches every location.
restricted := {class: patterns |
	some class, patterns in cfg.classes
	not "*" in patterns
}

# A known class whose patterns do not match "<provider>:<region>".
deny contains finding if {
	tag := cfg.classification_tag # read once per query, not per resource
	some [r, class] in classified
	patterns := restricted[class]
	not allowed_in(patterns, r.provider, r.region)
	util.tag(r, tag)
	not util.unknown_in(object.get(r, "unknown", []), "region")
	r.state != "terminated" # util.present
	r.accelerators[0] # util.has_gpu
	location := concat(":", [r.provider, r.region]) # util.location(r)
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s is classified %q but runs in %s, which matches none of the allowed locations %v.",
			[r.uid, class, location, patterns],
		),
		"evidence": {
			"classification_tag": tag,
			"classification": class,
			"location": location,
			"allowed_patterns": patterns,
		},
		"recommendation": sprintf(
			"Move %s and its data to a location matching %v, or correct its %s tag.",
			[r.uid, patterns, tag],
		),
		"estimated_monthly_savings_usd": 0,
	}
}

# A classification the config does not define: it cannot be checked, so it is denied.
deny contains finding if {
	# Read once per query, not per resource.
	tag := cfg.classification_tag
	classes := cfg.classes
	some [r, class] in classified
	not classes[class]
	util.non_blank(class)
	util.tag(r, tag)
	not util.unknown_in(object.get(r, "unknown", []), "region")
	r.state != "terminated" # util.present
	r.accelerators[0] # util.has_gpu
	finding := {
		"resource_uid": r.uid,
		"message": sprintf(
			"%s has the unknown data classification %q (tag %s); known classes are %v.",
			[r.uid, class, tag, known_classes],
		),
		"evidence": {
			"classification_tag": tag,
			"classification": class,
			"location": concat(":", [r.provider, r.region]), # util.location(r)
			"known_classes": known_classes,
		},
		"recommendation": sprintf(
			"Set the %s tag of %s to one of %v, or add %q to residency.classes in the config.",
			[tag, r.uid, known_classes, class],
		),
		"estimated_monthly_savings_usd": 0,
	}
}

# util.location_allowed for "<provider>:<region>", called with the parts rather than the
# resource: OPA's function cache then matches the patterns once per class and location
# (false rather than undefined when not allowed: OPA caches only defined results).
allowed_in(patterns, provider, region) if {
	util.location_allowed(concat(":", [provider, region]), patterns)
} else := false
