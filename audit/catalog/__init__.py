"""GPU price catalog: the dated snapshot shipped as package data, its lookups and resource enrichment.

    catalog = Catalog.load()                      # or Catalog.load(Path("gpu_catalog.json"))
    catalog.lookup("aws", "p4d.24xlarge", "us-east-1").on_demand
    resource = catalog.enrich(resource)           # accelerators/vcpus/memory + cost filled in
    catalog.unpriced_reason(resource)             # why it has no price, or None
    catalog.policy_data()                         # data.infraaudit.catalog for OPA

Layer 2: imports only audit.models and audit.errors. No I/O at import time.
"""

from .catalog import (
    N1_HOST_UNPRICED,
    NO_ON_DEMAND_PRICE,
    NO_SPOT_PRICE,
    ONPREM_UNPRICED,
    UNKNOWN_INSTANCE_TYPE,
    AcceleratorOffer,
    Catalog,
    InstanceSpec,
    Offer,
    gcp_accelerator_model,
)
from .snapshot import FORMAT_VERSION, CatalogSource, SourceFile

__all__ = [
    "FORMAT_VERSION",
    "N1_HOST_UNPRICED",
    "NO_ON_DEMAND_PRICE",
    "NO_SPOT_PRICE",
    "ONPREM_UNPRICED",
    "UNKNOWN_INSTANCE_TYPE",
    "AcceleratorOffer",
    "Catalog",
    "CatalogSource",
    "InstanceSpec",
    "Offer",
    "SourceFile",
    "gcp_accelerator_model",
]
