# SomaAgent policy, loaded by the OPA container of the containers topology (opa run --server /policies).
# The rules are data: data.json beside this file (loaded at the data root as data.rules and data.fallback).
# This program only applies them, exactly as the services' built-in evaluator does (BuiltInPolicyDecider;
# semantics in docs/security.md, "Policy (OPA)"):
#   - the FIRST rule of data.rules whose listed fields all match the input decides: allow when its effect is
#     "allow", and its reason either way;
#   - a field a rule leaves out, or lists as [], matches anything; otherwise the input's value must be listed;
#   - routes match exactly, or by prefix when the pattern ends in "*"; scopes match when any one is listed;
#   - no rule matches: data.fallback decides. Secure by default: without data nothing is allowed.
# The gateway and the tool executor ask POST /v1/data/somaagent/authz and read result.allow and result.reason.
package somaagent.authz

import rego.v1

default allow := false

default reason := "The policy data is missing."

allow if decision.effect == "allow"

reason := decision.reason

decision := hits[0] if {
	hits := [rule | some rule in data.rules; matches(rule)]
	count(hits) > 0
} else := data.fallback if {
	true
}

matches(rule) if {
	listed(rule, "kinds", input.kind)
	listed(rule, "tenants", input.tenant)
	listed(rule, "subjects", input.subject)
	listed(rule, "methods", input.method)
	listed(rule, "tools", input.tool)
	listed(rule, "capsules", input.capsule)
	listed(rule, "models", input.model)
	routed(rule)
	scoped(rule)
}

listed(rule, field, _) if count(object.get(rule, field, [])) == 0

listed(rule, field, value) if value in rule[field]

routed(rule) if count(object.get(rule, "routes", [])) == 0

routed(rule) if input.route in rule.routes

routed(rule) if {
	some pattern in rule.routes
	endswith(pattern, "*")
	startswith(input.route, trim_suffix(pattern, "*"))
}

scoped(rule) if count(object.get(rule, "scopes", [])) == 0

scoped(rule) if {
	some scope in input.scopes
	scope in rule.scopes
}
