"""The infraaudit policy pack: Pulumi runs this file (`python -m pulumi.policy`, from the pack folder).

`PolicyPack(...)` starts the analyzer's gRPC server, prints its port on stdout and blocks, so
this module is never imported by tests: the policies live in `infraaudit_pack`. Nothing may
write to stdout before PolicyPack does (the engine reads the port from its first line).
"""

from infraaudit_pack import PACK_NAME, Evaluator, build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

evaluator = Evaluator.from_environment()
evaluator.start()  # before PolicyPack starts gRPC's threads (see Evaluator.start)
PolicyPack(
    name=PACK_NAME,
    policies=build_policies(evaluator),
    enforcement_level=EnforcementLevel.ADVISORY,  # each policy sets its own level (from the rule's severity)
    description="infraaudit: GPU cost, security and data-residency rules (Rego, evaluated by OPA) on planned resources",
)
