"""Policy engine: real OPA over its REST API (a private local server or a remote one)."""

from .binary import find_opa
from .evaluate import OpaEndpoint, PolicyEngine
from .library import PolicyLibrary, builtin_policy_root
from .server import LocalOpaServer

__all__ = [
    "LocalOpaServer",
    "OpaEndpoint",
    "PolicyEngine",
    "PolicyLibrary",
    "builtin_policy_root",
    "find_opa",
]
