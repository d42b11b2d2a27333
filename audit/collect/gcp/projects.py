"""Which projects to scan: `--project` as given, plus the active projects under `--organization`
/ `--folder`, found by walking the folder tree with Resource Manager v3 (it lists direct
children only). Inactive (DELETE_REQUESTED) projects and folders are skipped."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.cloud import resourcemanager_v3

from ...errors import InfraauditError
from ...models import CoverageGap
from ..shared import ApiCallCounter
from .inventory import error_reason, gap, google_message

LIST_FOLDERS = "cloudresourcemanager.folders.list"
LIST_PROJECTS = "cloudresourcemanager.projects.list"
ACTIVE = resourcemanager_v3.Project.State.ACTIVE
FOLDER_ACTIVE = resourcemanager_v3.Folder.State.ACTIVE


class ProjectDiscoveryError(InfraauditError):
    """The organization or folder itself could not be listed: the set of projects is unknown."""


@dataclass
class DiscoveredProjects:
    projects: list[str] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)  # sub-folders that could not be listed


def discover_projects(
    roots: Iterable[str], folders_client: Any, projects_client: Any, counter: ApiCallCounter
) -> DiscoveredProjects:
    """Active project ids under each root ("organizations/N" or "folders/N"), every depth.
    A root that cannot be listed raises (nothing to scan would look like "all clear"); a
    sub-folder that cannot be listed is a gap and the walk goes on."""
    found = DiscoveredProjects()
    for root in roots:
        queue = deque([root])
        while queue:
            parent = queue.popleft()
            try:
                found.projects += _children_projects(projects_client, parent, counter)
                queue.extend(_children_folders(folders_client, parent, counter))
            except api_exceptions.GoogleAPICallError as exc:
                if parent == root:
                    raise ProjectDiscoveryError(
                        f"cannot list the projects under {root}: {error_reason(exc)}: {google_message(exc)} "
                        "(needs resourcemanager.projects.list and resourcemanager.folders.list there)"
                    ) from None
                found.gaps.append(gap(parent, exc, api=LIST_PROJECTS))
    found.projects = list(dict.fromkeys(found.projects))  # a project can be reached from two roots
    return found


def _children_projects(client: Any, parent: str, counter: ApiCallCounter) -> list[str]:
    projects = []
    for page in client.list_projects(request=resourcemanager_v3.ListProjectsRequest(parent=parent)).pages:
        counter.record(LIST_PROJECTS)
        projects += [p.project_id for p in page.projects if p.state == ACTIVE]
    return projects


def _children_folders(client: Any, parent: str, counter: ApiCallCounter) -> list[str]:
    folders = []
    for page in client.list_folders(request=resourcemanager_v3.ListFoldersRequest(parent=parent)).pages:
        counter.record(LIST_FOLDERS)
        folders += [f.name for f in page.folders if f.state == FOLDER_ACTIVE]
    return folders
