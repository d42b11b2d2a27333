"""Names, tags and labels for the resources of a placement.

Pure functions (no Pulumi calls): the components and the tests share them.

Tags follow what the policies and the recommender read back from a scan of the fleet:

- `workload` is the workload's *kind* (training, inference, ...): the spot rule treats the
  interruptible kinds as spot candidates and `recommend` re-derives the kind from it;
- `infraaudit.io/workload` is the workload's name, `Name` (AWS) the fleet's name;
- `infraaudit.io/interruptible=true` on interruptible placements, and `infraaudit.io/spot-opt-out=true`
  on every placement the layout put on on-demand or committed capacity (the recommender already
  weighed spot there), so the spot rule judges each group by what the layout decided;
- `data-classification` (the residency rules' tag), `owner`, `managed-by=infraaudit`,
  `infraaudit.io/capacity` (spot, on_demand or committed), plus the placement's own tags
  (`team`, `cost-center`, ...). `infraaudit.io/model-params` is never set: the layout's GPU
  memory is an estimate, not a declared model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from infraaudit.audit.models import Capacity, Placement

OWNER = "owner"
WORKLOAD = "workload"
WORKLOAD_NAME = "infraaudit.io/workload"
CLASSIFICATION = "data-classification"
MANAGED_BY = "managed-by"
CAPACITY = "infraaudit.io/capacity"
INTERRUPTIBLE = "infraaudit.io/interruptible"
SPOT_OPT_OUT = "infraaudit.io/spot-opt-out"
MANAGER = "infraaudit"

# Tags that say whether the workload may run on spot. A template runs nothing itself and is not
# the group's market, so it does not carry them (the group propagates them to its instances).
MARKET_TAGS = frozenset({WORKLOAD, INTERRUPTIBLE, SPOT_OPT_OUT})

_NOT_SLUG = re.compile(r"[^a-z0-9-]+")
_NOT_LABEL = re.compile(r"[^a-z0-9_-]+")
GCP_LABEL_MAX = 63
GCP_LABELS_MAX = 64
AWS_TAGS_MAX = 50


def short_hash(*parts: Any, length: int = 6) -> str:
    """A stable hex digest of JSON-able parts (names that must change when the parts do)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def slug(text: str, max_length: int = 63) -> str:
    """`text` as a cloud resource name: lowercase letters, digits and dashes, starting with a letter,
    at most `max_length` long (a cut name ends in a hash of the whole, so two long names differ)."""
    name = _NOT_SLUG.sub("-", text.lower()).strip("-")
    name = re.sub("-{2,}", "-", name) or "x"
    if not name[0].isalpha():
        name = f"x-{name}"
    if len(name) > max_length:
        digest = short_hash(text)
        name = f"{name[: max_length - len(digest) - 1].rstrip('-')}-{digest}"
    return name


def fleet_tags(placement: Placement, stack_tags: Mapping[str, str], data_classification: str | None) -> dict[str, str]:
    """Every tag of the placement's instances: the stack's `infraaudit:tags`, then the placement's
    tags, then the ones infraaudit manages (which win)."""
    tags = {**stack_tags, **placement.tags}
    owner = placement.owner or tags.get(OWNER)
    classification = placement.data_classification or tags.get(CLASSIFICATION) or data_classification
    managed = {
        WORKLOAD: placement.kind,
        WORKLOAD_NAME: placement.workload,
        MANAGED_BY: MANAGER,
        CAPACITY: placement.capacity.value,
    }
    if owner:
        managed[OWNER] = owner
    if classification:
        managed[CLASSIFICATION] = classification
    if placement.interruptible:
        managed[INTERRUPTIBLE] = "true"
    else:
        tags.pop(INTERRUPTIBLE, None)
    if is_spot(placement):
        tags.pop(SPOT_OPT_OUT, None)
    else:  # the layout chose on-demand or a commitment (spot dearer, over quota, or not allowed)
        managed[SPOT_OPT_OUT] = "true"
    return {**tags, **managed}


# A placement running at least this many hours a month is kept running; a part-time one (a job
# of so many GPU-hours, a fleet of a few hours a day) is created scaled to zero, up to its size,
# for its scheduler to scale: running it around the clock would cost more than the layout says.
ALWAYS_ON_HOURS = 0.95 * 730


def running_instances(placement: Placement) -> int:
    """Instances the group runs from the start (its desired capacity / target size)."""
    return placement.instances if placement.hours_per_month >= ALWAYS_ON_HOURS else 0


def template_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags of a launch template and of what it launches before the group tags it: no market tags."""
    return {k: v for k, v in tags.items() if k not in MARKET_TAGS}


def is_spot(placement: Placement) -> bool:
    return placement.capacity is Capacity.SPOT


def gcp_label_key(key: str) -> str:
    """A GCP label key: lowercase letters, digits, `_` and `-`, starting with a letter, at most 63."""
    label = _NOT_LABEL.sub("_", key.lower()).strip("_") or "x"
    if not label[0].isalpha():
        label = f"x_{label}"
    return label[:GCP_LABEL_MAX]


def gcp_label_value(value: str) -> str:
    """A GCP label value: lowercase letters, digits, `_` and `-`, at most 63 (may be empty)."""
    return _NOT_LABEL.sub("_", value.lower())[:GCP_LABEL_MAX]


def gcp_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as GCP labels. Keys that sanitize to the same label keep the last value; at most 64."""
    labels = {gcp_label_key(k): gcp_label_value(v) for k, v in tags.items()}
    return dict(list(labels.items())[:GCP_LABELS_MAX])


__all__ = [
    "ALWAYS_ON_HOURS",
    "CAPACITY",
    "CLASSIFICATION",
    "INTERRUPTIBLE",
    "MANAGED_BY",
    "MARKET_TAGS",
    "OWNER",
    "SPOT_OPT_OUT",
    "WORKLOAD",
    "WORKLOAD_NAME",
    "fleet_tags",
    "gcp_label_key",
    "gcp_label_value",
    "gcp_labels",
    "is_spot",
    "running_instances",
    "short_hash",
    "slug",
    "template_tags",
]
