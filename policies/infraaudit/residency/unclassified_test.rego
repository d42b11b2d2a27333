package infraaudit.residency.unclassified_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.residency.unclassified

bare := object.union(fx.without({"tags"}), {"tags": {"owner": "alice"}})

test_classified_passes if {
	count(unclassified.deny) == 0 with input as fx.inventory([fx.resource])
}

test_unclassified_denied if {
	findings := unclassified.deny with input as fx.inventory([bare])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.classification_tag == "data-classification"
	contains(f.message, "has no data-classification tag")
}

test_blank_classification_denied if {
	count(unclassified.deny) == 1 with input as fx.inventory([fx.with_({"tags": {"data-classification": ""}})])
}

test_unknown_tags_no_finding if {
	count(unclassified.deny) == 0 with input as fx.inventory([object.union(bare, {"unknown": ["tags"]})])
	count(unclassified.deny) == 0 with input as fx.inventory([object.union(bare, {"unknown": ["tags.data-classification"]})])
}

test_not_applicable if {
	count(unclassified.deny) == 0 with input as fx.inventory([object.union(bare, {"accelerators": []})])
	count(unclassified.deny) == 0 with input as fx.inventory([object.union(bare, {"state": "terminated"})])
}

test_preview_denied if {
	count(unclassified.deny) == 1 with input as fx.inventory([object.union(fx.without({"tags"}), {"source": "preview", "tags": {}})])
}

test_tag_override if {
	count(unclassified.deny) == 1 with input as fx.inventory([fx.resource])
		with data.infraaudit.config.residency.classification_tag as "pii"
}
