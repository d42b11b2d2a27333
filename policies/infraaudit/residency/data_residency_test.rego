package infraaudit.residency.data_residency_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.residency.data_residency as residency

classified(class, provider, region) := object.union(fx.resource, {
	"provider": provider,
	"region": region,
	"tags": {"data-classification": class},
})

test_allowed_locations_pass if {
	count(residency.deny) == 0 with input as fx.inventory([
		fx.resource,
		classified("eu-personal", "aws", "eu-west-1"),
		classified("eu-personal", "gcp", "europe-west4"),
		classified("eu-personal", "onprem", "eu-fra1"),
		classified("restricted", "onprem", "eu-fra1"),
		classified("restricted", "onprem", "eu.fra1"),
		classified("public", "gcp", "us-central1"),
	])
}

test_disallowed_location_denied if {
	findings := residency.deny with input as fx.inventory([classified("eu-personal", "aws", "us-east-1")])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.location == "aws:us-east-1"
	f.evidence.classification == "eu-personal"
	f.evidence.allowed_patterns == ["aws:eu-*", "gcp:europe-*", "onprem:eu-*"]
	contains(f.message, "classified \"eu-personal\" but runs in aws:us-east-1")
}

test_restricted_in_cloud_denied if {
	count(residency.deny) == 1 with input as fx.inventory([classified("restricted", "gcp", "europe-west4")])
}

test_unknown_class_denied if {
	findings := residency.deny with input as fx.inventory([classified("secret", "aws", "eu-west-1")])
	count(findings) == 1
	some f in findings
	f.evidence.classification == "secret"
	f.evidence.known_classes == ["eu-personal", "internal", "public", "restricted"]
	contains(f.message, "unknown data classification \"secret\"")
}

test_unknown_or_missing_values_no_finding if {
	r := classified("eu-personal", "aws", "us-east-1")
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"unknown": ["region"]})])
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"unknown": ["tags"]})])
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"unknown": ["tags.data-classification"]})])
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"tags": {"data-classification": " "}})])
	count(residency.deny) == 0 with input as fx.inventory([fx.with_({"tags": {"data-classification": ""}})])
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"accelerators": []})])
	count(residency.deny) == 0 with input as fx.inventory([object.union(r, {"state": "terminated"})])
}

test_preview_denied if {
	p := object.union(fx.preview, {"tags": {"data-classification": "eu-personal"}})
	count(residency.deny) == 1 with input as fx.inventory([p])
}

test_stopped_still_judged if {
	r := object.union(classified("eu-personal", "aws", "us-east-1"), {"state": "stopped"})
	count(residency.deny) == 1 with input as fx.inventory([r])
}

test_config_override if {
	r := classified("eu-personal", "aws", "us-east-1")
	count(residency.deny) == 0 with input as fx.inventory([r])
		with data.infraaudit.config.residency.classes["eu-personal"] as ["aws:*"]
	r2 := object.union(fx.resource, {"tags": {"pii": "secret"}})
	count(residency.deny) == 1 with input as fx.inventory([r2])
		with data.infraaudit.config.residency.classification_tag as "pii"
	count(residency.deny) == 0 with input as fx.inventory([r2])
		with data.infraaudit.config.residency.classification_tag as "pii"
		with data.infraaudit.config.residency.classes.secret as ["aws:us-*"]
}
