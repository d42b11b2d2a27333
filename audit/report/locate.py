"""Where a planned resource is in the IaC input, for SARIF locations of ``infraaudit check``.

Renderers never read files, so the CLI (which read the inputs anyway) builds a ``locate``
function from the documents' text and passes it to the SARIF renderer::

    documents = {plan.input_file: Path(plan.input_file).read_text() for plan in json_plans}
    locate = plan_locator(documents, relative=relative_to_checkout, source_roots={program_dir: program_dir})
    render(report, OutputFormat.SARIF, locate=locate)

``locate(origin) -> (path, line)``:

- the resource's declaring source line when the origin has one (``source_file`` is relative to
  the Pulumi project, so it is joined to ``source_roots[input_file]`` when given);
- else the line of the JSON plan/preview where its address first appears as an ``"urn"`` or
  ``"address"`` value (``pulumi preview --json`` is indented: one line per step; ``terraform
  show -json`` is one line, so Terraform results point at line 1 unless the plan is
  pretty-printed);
- else line 1 of the input file.

``relative`` maps every path to what SARIF should carry: relative to the repository root.
``exists`` (e.g. ``os.path.exists``, relative to the working directory) guards the source path:
Pulumi records ``sourcePosition`` relative to the Pulumi project, so without the right
``source_roots`` entry it may name a file that is not there; the input file is used instead.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Mapping

from ..models import IacOrigin
from .sarif import Locate

# A JSON member "urn": "..." or "address": "..." (the string may hold escaped quotes).
_ADDRESS_MEMBER = re.compile(r'"(?:urn|address)"\s*:\s*"((?:[^"\\\n]|\\.)*)"')


def address_lines(document: str) -> dict[str, int]:
    """Every URN/address value in a JSON document → the 1-based line of its first occurrence.

    One pass over the text: cheap enough for previews with tens of thousands of steps.
    """
    lines: dict[str, int] = {}
    line, pos = 1, 0
    for match in _ADDRESS_MEMBER.finditer(document):
        line += document.count("\n", pos, match.start())
        pos = match.start()
        raw = match.group(1)
        if "\\" in raw:
            try:
                raw = json.loads(f'"{raw}"')
            except ValueError:
                continue
        lines.setdefault(raw, line)
    return lines


def _same(path: str) -> str:
    return path


def plan_locator(
    documents: Mapping[str, str],
    *,
    relative: Callable[[str], str] = _same,
    source_roots: Mapping[str, str] | None = None,
    exists: Callable[[str], bool] | None = None,
) -> Locate:
    """A ``locate`` for :func:`render_sarif` from the text of the JSON inputs (by ``input_file``)."""
    roots = dict(source_roots or {})
    indexes: dict[str, dict[str, int]] = {}

    def locate(origin: IacOrigin) -> tuple[str, int]:
        if origin.source_file and origin.source_file.strip():
            root = roots.get(origin.input_file)
            path = posixpath.join(root.replace("\\", "/"), origin.source_file) if root else origin.source_file
            if exists is None or exists(path):
                return relative(path), origin.source_line or 1
        document = documents.get(origin.input_file)
        if document is None:
            return relative(origin.input_file), 1
        if origin.input_file not in indexes:
            indexes[origin.input_file] = address_lines(document)
        return relative(origin.input_file), indexes[origin.input_file].get(origin.address, 1)

    return locate


__all__ = ["Locate", "address_lines", "plan_locator"]
