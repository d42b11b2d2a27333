package infraaudit.lib.util_test

import data.infraaudit.lib.fixtures_test as fx
import data.infraaudit.lib.util

test_active_states if {
	util.active(fx.resource)
	util.active(fx.with_({"state": "pending"}))
	util.active(fx.preview)
	not util.active(fx.with_({"state": "stopped"}))
	not util.active(fx.with_({"state": "terminated"}))
	not util.active(fx.with_({"state": "unknown"}))
}

test_present if {
	util.present(fx.with_({"state": "stopped"}))
	not util.present(fx.with_({"state": "terminated"}))
}

test_has_gpu if {
	util.has_gpu(fx.resource)
	not util.has_gpu(fx.with_({"accelerators": []}))
	not util.has_gpu(fx.without({"accelerators"}))
}

test_gpu_memory_total if {
	util.gpu_count(fx.resource) == 4
	util.gpu_memory_total(fx.resource) == 89.4
	mixed := fx.with_({"accelerators": [{"model": "A10G", "count": 4, "memory_gib": 22.35}, {"model": "L4", "count": 1}]})
	util.gpu_count(mixed) == 5
	not util.gpu_memory_total(mixed)
	both := fx.with_({"accelerators": [{"model": "A10G", "count": 4, "memory_gib": 22.35}, {"model": "L4", "count": 1, "memory_gib": 22.35}]})
	util.gpu_memory_total(both) == 111.75
	not util.gpu_memory_total(fx.with_({"accelerators": [{"model": "A10G", "count": 4}]}))
	not util.gpu_memory_total(fx.with_({"accelerators": []}))
}

test_accelerators_text if {
	util.accelerators_text(fx.resource) == "4 x A10G"
	two := fx.with_({"accelerators": [{"model": "A10G", "count": 4}, {"model": "L4", "count": 1}]})
	util.accelerators_text(two) == "4 x A10G + 1 x L4"
}

test_known if {
	util.known(fx.resource, "region")
	util.known(fx.resource, "security.public_ip")
	not util.known(fx.with_({"unknown": ["region"]}), "region")
	not util.known(fx.with_({"unknown": ["security"]}), "security.public_ip")
	not util.known(fx.with_({"unknown": ["security.public_ip"]}), "security.public_ip")
	util.known(fx.with_({"unknown": ["security.public_ip"]}), "security.imdsv2_required")
	util.known(fx.with_({"unknown": ["security.public"]}), "security.public_ip")
	not util.known(object.union(fx.without({"security"}), {"security": {}}), "security.public_ip")
	not util.known(fx.without({"unknown", "security"}), "security.public_ip")
	util.known(fx.with_({"security": {"public_ip": false}}), "security.public_ip")
}

test_tags if {
	util.tag(fx.resource, "owner") == "alice"
	not util.tag(fx.resource, "nope")
	not util.tag(fx.with_({"unknown": ["tags"]}), "owner")
	not util.tag(fx.with_({"unknown": ["tags.owner"]}), "owner")
	util.tag(fx.with_({"unknown": ["tags.team"]}), "owner") == "alice"
	util.tag_missing(fx.resource, "nope")
	util.tag_missing(fx.with_({"tags": {"owner": "  "}}), "owner")
	not util.tag_missing(fx.resource, "owner")
	not util.tag_missing(fx.with_({"unknown": ["tags"]}), "nope")
	not util.tag_missing(fx.with_({"unknown": ["tags.nope"]}), "nope")
	util.tag_true(fx.with_({"tags": {"x": " TRUE "}}), "x")
	not util.tag_true(fx.with_({"tags": {"x": "yes"}}), "x")
}

test_metric_needs_coverage if {
	util.gpu_metric(fx.resource).avg == 55
	low := fx.with_({"utilization": {"gpu_percent": {"coverage": 0.5}}})
	not util.gpu_metric(low)
	not util.gpu_metric(low) with data.infraaudit.config.min_coverage as 0.6
	util.gpu_metric(low) with data.infraaudit.config.min_coverage as 0.5
	not util.gpu_metric(fx.without({"utilization"}))
}

test_idle if {
	not util.idle(fx.resource)
	idle := fx.with_({"utilization": {"gpu_percent": fx.metric(1, 2, 10)}})
	util.idle(idle)
	not util.idle(idle) with data.infraaudit.config.idle.p95_below_percent as 2
	not util.idle(idle) with data.infraaudit.config.idle.max_below_percent as 10
}

test_money if {
	util.money(1.005) == 1.01
	util.money(1.004) == 1
	util.money(2.346) == 2.35
	util.monthly(5.672) == 4140.56
	util.monthly(0) == 0
}

test_location_allowed if {
	util.location(fx.resource) == "aws:us-east-1"
	util.location_allowed("aws:eu-west-1", ["aws:eu-*"])
	util.location_allowed("onprem:eu-fra1", ["aws:eu-*", "onprem:*"])
	util.location_allowed("onprem:eu.fra1", ["onprem:*"])
	util.location_allowed("gcp:europe-west4", ["*"])
	not util.location_allowed("aws:us-east-1", ["aws:eu-*", "gcp:europe-*"])
	not util.location_allowed("gcp:eu-west-1", ["aws:eu-*"])
	not util.location_allowed("aws:eu-west-1", [])
}

test_fixed if {
	util.fixed(2, 1) == "2.0"
	util.fixed(2.46, 1) == "2.5"
	util.fixed(0.05, 2) == "0.05"
	util.fixed(-1.5, 2) == "-1.50"
	util.fixed(99.96, 1) == "100.0"
	util.fixed(0.7 * 100, 0) == "70"
	util.fixed(2.0, 2) == "2.00"
	util.fixed(7e9, 1) == "7000000000.0"
	util.fixed(4140.56, 3) == "4140.560"
}

test_accelerator_helpers if {
	util.accelerators_count([{"model": "A10G", "count": 4}]) == 4
	util.accelerators_count([{"model": "A10G", "count": 4}, {"model": "L4", "count": 1}]) == 5
	util.accelerators_count([]) == 0
	util.accelerators_memory([{"model": "L4", "count": 2, "memory_gib": 22.35}]) == 44.7
	not util.accelerators_memory([])
	util.accelerators_label([{"model": "A10G", "count": 4}, {"model": "L4", "count": 1}]) == "4 x A10G + 1 x L4"
	util.gpu_count(fx.without({"accelerators"})) == 0
	util.accelerators_text(fx.without({"accelerators"})) == ""
}

test_unknown_in if {
	util.unknown_in(["tags"], "tags.owner")
	util.unknown_in(["tags.owner"], "tags.owner")
	util.unknown_in(["region"], "region")
	not util.unknown_in(["tags.team"], "tags.owner")
	not util.unknown_in(["tags.own"], "tags.owner")
	not util.unknown_in([], "region")

	# Defined (false) when not unknown, so that OPA caches the answer.
	util.unknown_in([], "region") == false
	util.unknown_path(fx.with_({"unknown": ["region"]}), "region")
	not util.unknown_path(fx.resource, "region")
	not util.unknown_path(fx.without({"unknown"}), "region")
}

test_tag_in if {
	util.tag_in({"owner": "alice"}, [], "owner") == "alice"
	not util.tag_in({"owner": "alice"}, [], "team")
	not util.tag_in({"owner": "alice"}, ["tags"], "owner")
	not util.tag_in({"owner": "alice"}, ["tags.owner"], "owner")
	util.tag_in({"owner": "alice"}, ["tags.team"], "owner") == "alice"

	# A resource without an unknown list: every value is known.
	util.tag(fx.without({"unknown"}), "owner") == "alice"
}
