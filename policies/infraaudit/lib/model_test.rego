package infraaudit.lib.model_test

import data.infraaudit.lib.model

test_params_plain if {
	model.params("7e9") == 7e9
	model.params("7000000000") == 7000000000
	model.params(" 7_000_000_000 ") == 7000000000
	model.params("7,000,000,000") == 7000000000
	model.params("1.5E9") == 1500000000
}

test_params_suffix if {
	model.params("7B") == 7000000000
	model.params("70b") == 70000000000
	model.params("1.5B") == 1500000000
	model.params("350M") == 350000000
	model.params("1T") == 1000000000000
	model.params("8 B") == 8000000000
}

test_params_unparseable if {
	not model.params("")
	not model.params("seven")
	not model.params("7X")
	not model.params("B7")
	not model.params("0")
	not model.params("-7B")
	not model.params("7e")
	not model.params("llama-7b")
}

test_bytes_per_param if {
	model.bytes_per_param("bf16") == 2
	model.bytes_per_param(" FP8 ") == 1
	not model.bytes_per_param("fp6")
	model.bytes_per_param("fp6") == 0.75 with data.infraaudit.config.oversized.bytes_per_param as {"fp6": 0.75}
}

test_need_gib if {
	round(model.need_gib(7e9, 2) * 100) == 1565
	model.need_gib(1073741824, 1) == 1.2
	model.need_gib(1073741824, 1) == 2 with data.infraaudit.config.oversized.serving_overhead_factor as 2
}
