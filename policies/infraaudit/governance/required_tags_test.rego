package infraaudit.governance.required_tags_test

import data.infraaudit.governance.required_tags
import data.infraaudit.lib.fixtures_test as fx

partial := object.union(fx.without({"tags"}), {"tags": {"owner": "alice", "team": " "}})

test_tagged_passes if {
	count(required_tags.deny) == 0 with input as fx.inventory([fx.resource])
}

test_missing_tags_denied if {
	findings := required_tags.deny with input as fx.inventory([partial])
	count(findings) == 1
	some f in findings
	f.resource_uid == "aws:111122223333:us-east-1:i-0abc"
	f.estimated_monthly_savings_usd == 0
	f.evidence.missing == ["cost-center", "team"]
	f.evidence.present == ["owner", "team"]
	contains(f.message, "missing 2 of the 3 required tags: cost-center, team")
}

test_unknown_tags_no_finding if {
	count(required_tags.deny) == 0 with input as fx.inventory([object.union(partial, {"unknown": ["tags"]})])
	some f in required_tags.deny with input as fx.inventory([object.union(partial, {"unknown": ["tags.team"]})])
	f.evidence.missing == ["cost-center"]
}

test_not_applicable if {
	count(required_tags.deny) == 0 with input as fx.inventory([object.union(partial, {"accelerators": []})])
	count(required_tags.deny) == 0 with input as fx.inventory([object.union(partial, {"state": "terminated"})])
}

test_preview_denied if {
	count(required_tags.deny) == 1 with input as fx.inventory([object.union(object.remove(fx.preview, {"tags"}), {"tags": {"owner": "a"}})])
}

test_config_override if {
	count(required_tags.deny) == 0 with input as fx.inventory([partial]) with data.infraaudit.config.tagging.required as ["owner"]
	some f in required_tags.deny with input as fx.inventory([fx.resource]) with data.infraaudit.config.tagging.required as ["owner", "project"]
	f.evidence.missing == ["project"]
}

test_without_unknown_list_denied if {
	# A resource without an unknown list (not a preview): its values are all known.
	some f in required_tags.deny with input as fx.inventory([object.remove(partial, {"unknown"})])
	f.evidence.missing == ["cost-center", "team"]
}
