# infraaudit shared helpers
#   State, unknown-value, telemetry, tag, money and residency helpers shared by the
#   infraaudit rules. A library: it exports no deny.
package infraaudit.lib.util

# Hours in a month, for monthly savings.
hours_per_month := 730

config := data.infraaudit.config

# Active: running or about to run, or a planned (preview) resource.
active(r) if active_states[r.state]

active_states := {"running", "pending"}

active(r) if r.source == "preview"

# Present: not terminated (compliance, security and governance rules judge every other state).
present(r) if r.state != "terminated"

# A GPU resource: at least one accelerator.
has_gpu(r) if r.accelerators[0]

gpu_count(r) := accelerators_count(object.get(r, "accelerators", []))

# Helpers over r.accelerators rather than r: a fleet has few distinct accelerator lists,
# so OPA's function cache answers most calls without evaluating the body (a call with
# the whole resource is never a cache hit).
accelerators_count(accelerators) := n if {
	count(accelerators) == 1
	n := accelerators[0].count
} else := sum([a.count | some a in accelerators])

# "8 x A100" (several models joined with " + ").
accelerators_text(r) := accelerators_label(object.get(r, "accelerators", []))

accelerators_label(accelerators) := concat(" + ", [sprintf("%v x %s", [a.count, a.model]) | some a in accelerators])

# Total accelerator memory in GiB, only when every accelerator declares its memory.
gpu_memory_total(r) := accelerators_memory(object.get(r, "accelerators", []))

accelerators_memory(accelerators) := total if {
	count(accelerators) == 1
	a := accelerators[0]
	total := a.count * a.memory_gib
} else := total if {
	accelerators[0]
	every a in accelerators {
		is_number(a.memory_gib)
	}
	total := sum([m | some a in accelerators; m := a.count * a.memory_gib])
}

# known(r, path): the dotted path is neither listed in r.unknown (itself or an ancestor)
# nor absent from the resource.
known(r, path) if {
	not unknown_path(r, path)
	object.get(r, split(path, "."), null) != null
}

unknown_path(r, path) if unknown_in(r.unknown, path)

# unknown_path over the resource's unknown list. Per-resource rules call this with
# object.get(r, "unknown", []), almost always [], which OPA's function cache answers at
# once (not with r.unknown: "not f(x)" is false, not true, when x is undefined). False
# rather than undefined when not unknown: OPA caches only defined function results.
unknown_in(unknown, path) if {
	some u in unknown
	covers(u, path)
} else := false

covers(u, path) if u == path

covers(u, path) if startswith(path, concat("", [u, "."]))

# A tag value, when the tags (and that tag) are known.
tag(r, key) := tag_in(r.tags, object.get(r, "unknown", []), key)

# tag(r, key) from the resource's tags and unknown paths: per-resource rules call this
# with r.tags, so that OPA's function cache answers the tag sets it has seen.
tag_in(tags, unknown, key) := value if {
	value := tags[key]
	not unknown_in(unknown, "tags")
	not unknown_in(unknown, concat(".", ["tags", key]))
}

# The tags (and that tag) are known and the tag is absent or blank.
tag_missing(r, key) if {
	not non_blank(object.get(r.tags, key, ""))
	tags_known(r)
	not unknown_path(r, concat(".", ["tags", key]))
}

tags_known(r) if {
	not unknown_path(r, "tags")
	is_object(r.tags)
}

non_blank(value) if trim_space(value) != ""

# Tag value is "true" (any case, surrounding blanks ignored).
tag_true(r, key) if lower(trim_space(tag(r, key))) == "true"

# A utilisation metric summary with enough coverage to be judged.
metric(r, name) := m if {
	m := r.utilization[name]
	m.coverage >= config.min_coverage
}

# The GPU-utilisation summary, when it can be judged.
gpu_metric(r) := metric(r, "gpu_percent")

# Idle GPU (IA-GPU-001), shared so IA-GPU-002 does not report the same resource again.
idle(r) if {
	m := r.utilization.gpu_percent
	m.p95 < config.idle.p95_below_percent
	m.max < config.idle.max_below_percent
	m.coverage >= config.min_coverage
}

# Money.
money(x) := round(x * 100) / 100

monthly(hourly) := money(hourly * hours_per_month)

# Instances a resource stands for: an Auto Scaling group or node pool plans several, a
# launch/instance template none (preview input); a scanned machine is one.
instances(r) := object.get(r, "count", 1)

# A per-instance monthly saving for the whole resource.
for_all_instances(r, monthly_saving) := money(monthly_saving * instances(r))

# Residency: "<provider>:<region>" matches a glob pattern. No delimiters: "*" matches
# every character, so "onprem:*" also matches "onprem:eu.fra1".
location(r) := concat(":", [r.provider, r.region])

location_allowed(location, patterns) if {
	some pattern in patterns
	glob.match(pattern, null, location)
}

# A number as text with exactly d decimals (0 ≤ d ≤ 3). sprintf's %f fails on OPA integers
# (2 prints "%!f(int64=2)"), and integral results of arithmetic are integers, so integral
# values (no "." in %v) are formatted with format_int. Cheap: no big-number arithmetic.
fixed(x, 0) := format_int(round(x), 10)

fixed(x, d) := concat("", [format_int(x, 10), ".", zeros[d]]) if {
	d > 0
	not contains(sprintf("%v", [x]), ".")
} else := sprintf(float_formats[d], [x]) if d > 0

float_formats := ["%.0f", "%.1f", "%.2f", "%.3f"]

zeros := ["", "0", "00", "000"]
