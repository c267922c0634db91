# SomaAgent request policy, loaded by the OPA container of the containers topology.
# The gateway asks POST /v1/data/somaagent/authz once the security issue wires policy in; until then
# nothing queries it. Secure by default: nothing is allowed that a rule does not allow.
package somaagent.authz

import rego.v1

default allow := false

default reason := "no rule allows this request"
