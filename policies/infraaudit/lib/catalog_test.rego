package infraaudit.lib.catalog_test

import data.infraaudit.lib.catalog
import data.infraaudit.lib.fixtures_test as fx

test_offers_need_catalog_and_region if {
	count(catalog.offers(fx.resource)) == 10 with data.infraaudit.catalog as fx.catalog
	not catalog.offers(fx.resource)
	not catalog.offers(fx.with_({"region": "eu-west-1"})) with data.infraaudit.catalog as fx.catalog
	not catalog.offers(fx.with_({"unknown": ["region"]})) with data.infraaudit.catalog as fx.catalog
}

test_current_offer if {
	catalog.current_offer(fx.resource).on_demand == 5.672 with data.infraaudit.catalog as fx.catalog
	not catalog.current_offer(fx.with_({"unknown": ["instance_type"]})) with data.infraaudit.catalog as fx.catalog
	not catalog.current_offer(fx.with_({"instance_type": "x9.huge"})) with data.infraaudit.catalog as fx.catalog
}

test_current_offer_duplicate_takes_first if {
	dup := {"offers": {"aws": {"us-east-1": [
		fx.offer("g5.12xlarge", "A10G", 4, 89.41, 5, 2),
		fx.offer("g5.12xlarge", "A10G", 4, 89.41, 6, 3),
	]}}}
	catalog.current_offer(fx.resource).on_demand == 5 with data.infraaudit.catalog as dup
}

test_price_key if {
	catalog.price_key(fx.resource) == "on_demand"
	catalog.price_key(fx.with_({"market": "reserved"})) == "on_demand"
	catalog.price_key(fx.with_({"market": "spot"})) == "spot"
	not catalog.price_key(fx.with_({"unknown": ["market"]}))
}

test_market_price_from_cost_then_catalog if {
	catalog.market_price(fx.resource) == 5.672
	catalog.market_price(fx.with_({"market": "spot"})) == 1.9937
	no_cost := fx.without({"cost"})
	not catalog.market_price(no_cost)
	catalog.market_price(no_cost) == 5.672 with data.infraaudit.catalog as fx.catalog
	catalog.market_price(object.union(no_cost, {"market": "spot"})) == 1.9937 with data.infraaudit.catalog as fx.catalog
}

test_on_demand_and_spot_prices if {
	catalog.on_demand_price(fx.resource) == 5.672
	catalog.spot_price(fx.resource) == 1.9937
	no_cost := fx.without({"cost"})
	not catalog.on_demand_price(no_cost)
	not catalog.spot_price(no_cost)
	catalog.on_demand_price(no_cost) == 5.672 with data.infraaudit.catalog as fx.catalog
	catalog.spot_price(no_cost) == 1.9937 with data.infraaudit.catalog as fx.catalog
}

test_offer_price if {
	catalog.offer_price(fx.offer("a", "L4", 1, 22, 1, 0.5), "spot") == 0.5
	not catalog.offer_price({"on_demand": 1}, "spot")
}

test_family if {
	catalog.family("A10G") == "nvidia"
	catalog.family("T4g") == "T4g"
	catalog.resource_family(fx.resource) == "nvidia"
	mixed := fx.with_({"accelerators": [{"model": "A10G", "count": 1}, {"model": "Inferentia2", "count": 1}]})
	not catalog.resource_family(mixed)
}

test_market_key_and_price_at if {
	catalog.market_key("spot") == "spot"
	catalog.market_key("on_demand") == "on_demand"
	catalog.market_key("reserved") == "on_demand"
	catalog.price_at(fx.resource, "spot") == 1.9937
	catalog.price_at(fx.resource, "on_demand") == 5.672
	no_cost := fx.without({"cost"})
	not catalog.price_at(no_cost, "on_demand")
	catalog.price_at(no_cost, "on_demand") == 5.672 with data.infraaudit.catalog as fx.catalog
	catalog.price_key(fx.without({"unknown"})) == "on_demand"
}

test_cheaper if {
	ranked := [[0.5, "a", 0, 16], [1, "b", 1, 24], [3, "c", 2, 48]]
	catalog.cheaper(ranked, 2) == [[0.5, "a", 0, 16], [1, "b", 1, 24]]
	catalog.cheaper(ranked, 0.5) == []
	catalog.cheaper([], 2) == []
}

test_accelerators_family if {
	catalog.accelerators_family([{"model": "A10G", "count": 4}]) == "nvidia"
	catalog.accelerators_family([{"model": "A10G", "count": 1}, {"model": "L4", "count": 1}]) == "nvidia"
	not catalog.accelerators_family([{"model": "A10G", "count": 1}, {"model": "T4g", "count": 1}])
	not catalog.accelerators_family([])
	not catalog.resource_family(fx.without({"accelerators"}))
}
