# infraaudit model-sizing helpers: parse a declared parameter count ("7e9",
# "7000000000", "7B", "1.5B", "350M") and the memory a declared model needs.
# A library: it exports no deny. Unparseable values are undefined, never zero.
package infraaudit.lib.model

import data.infraaudit.lib.util

suffixes := {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}

# Plain number, optionally with a decimal part and an exponent; "_" and "," separators allowed.
params(s) := n if {
	v := clean(s)
	regex.match(`^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`, v)
	n := to_number(v)
	n > 0
}

# Number with a K/M/B/G/T suffix (case-insensitive), e.g. "7B", "1.5b", "350M".
params(s) := n if {
	v := clean(s)
	m := regex.find_all_string_submatch_n(`^([0-9]+(?:\.[0-9]+)?)\s*([kmbgtKMBGT])$`, v, 1)
	count(m) == 1
	n := to_number(m[0][1]) * suffixes[lower(m[0][2])]
	n > 0
}

clean(s) := replace(replace(trim_space(s), "_", ""), ",", "")

# Bytes per parameter of a precision tag value ("bf16", "FP8", ...).
bytes_per_param(precision) := util.config.oversized.bytes_per_param[lower(trim_space(precision))]

# GiB a declared model needs to serve: params × bytes × overhead / 2^30.
need_gib(n_params, n_bytes) := ((n_params * n_bytes) * util.config.oversized.serving_overhead_factor) / 1073741824
