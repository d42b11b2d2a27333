# The one query the engine sends per inventory chunk: every rule package's `deny` set, keyed
# by package. It lives outside `infraaudit` so that walking data.infraaudit is not recursive.
package infraaudit_engine

findings[pkg] := result if {
	some category, rule
	result := data.infraaudit[category][rule].deny
	pkg := concat(".", ["infraaudit", category, rule])
}
