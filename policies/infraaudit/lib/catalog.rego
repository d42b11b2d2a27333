# infraaudit catalog helpers
#   Price-catalog lookups (data.infraaudit.catalog.offers[provider][region]) and the
#   hourly price of a resource at its market. A library: it exports no deny. Every
#   helper is undefined when the catalog, the price or a needed value is missing.
package infraaudit.lib.catalog

import data.infraaudit.lib.util

# Offers in the resource's provider and region (undefined without a catalog or a known region).
offers(r) := list if {
	not util.unknown_in(object.get(r, "unknown", []), "region")
	list := data.infraaudit.catalog.offers[r.provider][r.region]
}

# The catalog offer of the resource's own instance type (first one if listed twice).
current_offer(r) := o if {
	not util.unknown_in(object.get(r, "unknown", []), "instance_type")
	not util.unknown_in(object.get(r, "unknown", []), "region")
	i := offer_index[r.provider][r.region][r.instance_type]
	o := data.infraaudit.catalog.offers[r.provider][r.region][i]
}

# Which price applies at the resource's market: "spot" or "on_demand" (undefined if the
# market is unknown). Reserved and capacity blocks are compared at on-demand prices.
price_key(r) := market_key(r.market) if not util.unknown_in(object.get(r, "unknown", []), "market")

# Price key of a market value (cached per distinct value).
market_key(market) := "spot" if {
	market == "spot"
} else := "on_demand"

cost_field := {"spot": "hourly_spot", "on_demand": "hourly_on_demand"}

# Hourly price of the resource at its market: from r.cost, else from the catalog.
market_price(r) := price_at(r, price_key(r))

# Hourly price of the resource at a price key: from r.cost, else from the catalog.
price_at(r, key) := p if {
	p := r.cost[cost_field[key]]
} else := p if {
	p := current_offer(r)[key]
}

# On-demand and spot hourly prices of the resource: from r.cost, else from the catalog.
on_demand_price(r) := p if {
	p := r.cost.hourly_on_demand
} else := p if {
	p := current_offer(r).on_demand
}

spot_price(r) := p if {
	p := r.cost.hourly_spot
} else := p if {
	p := current_offer(r).spot
}

# Price of an offer at the given key, when priced.
offer_price(o, key) := p if {
	p := o[key]
	is_number(p)
}

# Accelerator family used to keep recommendations on a compatible software stack:
# NVIDIA GPUs on x86 hosts are interchangeable (CUDA); anything else (T4g on Arm hosts,
# AMD, Gaudi, Inferentia, Trainium, FPGAs) only matches itself.
nvidia_x86 := {
	"A100", "A100-80GB", "A10G", "B200", "H100", "H100-MEGA", "H200", "K80",
	"L4", "L40S", "M60", "P100", "P4", "T4", "V100", "V100-32GB",
}

family(model) := "nvidia" if model in nvidia_x86

family(model) := model if not model in nvidia_x86

# Family of the resource's accelerators (undefined when they are of mixed families).
resource_family(r) := accelerators_family(object.get(r, "accelerators", []))

# By r.accelerators, so that OPA's function cache answers it (few distinct lists).
accelerators_family(accelerators) := f if {
	families := {family(a.model) | some a in accelerators}
	count(families) == 1
	some f in families
}

price_keys := {"on_demand", "spot"}

# Indexes over the catalog. Each is a partial rule: looked up with ground keys it is
# computed for that provider and region only, once per query (OPA caches it).

# Position of the first offer of an instance type: offer_index[provider][region][type].
offer_index[provider][region][instance_type] := i if {
	list := data.infraaudit.catalog.offers[provider][region]
	some o in list
	instance_type := o.instance_type
	i := min([j | some j, x in list; x.instance_type == instance_type])
}

# Cheapest offers per GPU memory, cheapest first (the price/memory frontier: an offer is
# kept only if it has more GPU memory than every cheaper one), for offers with a price at
# the key, GPU memory and at least one accelerator:
# frontier[provider][region][price key][family] = [[price, instance_type, index, gpu_memory_gib], ...].
# The cheapest offer with at least N GiB is the first frontier entry with at least N GiB.
frontier[provider][region][key][fam] := result if {
	list := data.infraaudit.catalog.offers[provider][region]
	price_keys[key]
	some fam in {family(o.accelerator) | some o in list}
	ranked := sort([[p, o.instance_type, i, o.gpu_memory_gib] |
		some i, o in list
		family(o.accelerator) == fam
		o.accelerator_count >= 1
		is_number(o.gpu_memory_gib)
		p := offer_price(o, key)
	])
	result := [x | some i, x in ranked; not dominated(ranked, i, x)]
}

# The entries of a frontier list that cost less than the price given, cheapest first
# (cached per list and price: resources share few prices).
cheaper(ranked, price) := [x | some x in ranked; x[0] < price]

dominated(ranked, i, x) if {
	some j, y in ranked
	j < i
	y[3] >= x[3]
}

# Offers by accelerator model and count, cheapest first:
# by_model[provider][region][price key][model][count] = [[price, instance_type, index], ...].
by_model[provider][region][key][model][n] := ranked if {
	list := data.infraaudit.catalog.offers[provider][region]
	price_keys[key]
	some model in {o.accelerator | some o in list}
	some n in {o.accelerator_count | some o in list; o.accelerator == model}
	ranked := sort([[p, o.instance_type, i] |
		some i, o in list
		o.accelerator == model
		o.accelerator_count == n
		p := offer_price(o, key)
	])
}
