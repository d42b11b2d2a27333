"""Planned infrastructure as read from an IaC input, before it becomes Resources.

Every reader (`pulumi preview --json`, `terraform show -json`, a Pulumi program run under the
SDK's mocks) produces a Plan: one PlannedResource per IaC resource, with the properties before
and after the change. Values the tool cannot know yet are the UNKNOWN marker, wherever they sit
in the property tree, so the mappers never see a provider's own sentinel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..models import ChangeOp


class _Unknown:
    """A value not known until apply (Pulumi's unknown sentinel, Terraform's after_unknown)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown preview value has no truth value; test `is UNKNOWN` first")


UNKNOWN: Final = _Unknown()

Properties = Mapping[str, Any]  # nested dicts/lists of JSON values and UNKNOWN


@dataclass(frozen=True)
class PlannedResource:
    address: str  # Pulumi URN or Terraform address (module.x.aws_instance.y[0])
    type: str  # "aws:ec2/instance:Instance" or "aws_instance"
    name: str  # the logical name
    op: ChangeOp
    before: Properties | None  # None: nothing before (create)
    after: Properties | None  # None: nothing after (delete)
    style: str  # "pulumi" (camelCase inputs) or "terraform" (snake_case, blocks as lists)
    source_file: str | None = None
    source_line: int | None = None


@dataclass(frozen=True)
class Plan:
    input_file: str  # as given on the command line; SARIF makes it relative to the checkout
    kind: str  # "pulumi-preview", "pulumi-program", "terraform-plan"
    resources: list[PlannedResource] = field(default_factory=list)
    # Tags/labels the stack or project applies to every resource (Pulumi config, e.g.
    # infraaudit:tags, aws:defaultTags); resource tags win over them.
    default_tags: dict[str, str] = field(default_factory=dict)
    # A stack-level data classification (Pulumi config infraaudit:dataClassification): applied
    # as the configured classification tag to resources that do not carry one.
    data_classification: str | None = None
    stack: str | None = None
