"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml).

Both are parsed, cross-checked against what they reference, and their shell parts are run with a
stand-in `infraaudit` that records its arguments, so the argument building, the exit-code
handling and the file-to-flag mapping are tested without GitHub or pre-commit.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infraaudit.audit.report import COMMENT_MARKER

ROOT = Path(__file__).parents[3]
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOCS = ROOT / "docs" / "ci.md"
GOLDEN = Path(__file__).parent / "golden" / "check_comment.md"
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    return action["runs"]["steps"]


def _step(action: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in _steps(action) if s.get("id") == step_id)


def _named(action: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(s for s in _steps(action) if s.get("name", "").startswith(prefix))


# ------------------------------------------------------------------------------------ action.yml


def test_action_is_a_composite_with_the_documented_inputs(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    inputs = action["inputs"]
    assert {
        "pulumi-preview",
        "pulumi-program",
        "pulumi-stack",
        "terraform-plan",
        "fail-on",
        "catalog",
        "config",
        "policy-dir",
        "python-version",
        "infraaudit-version",
        "infraaudit-source",
        "opa-path",
        "comment",
        "upload-sarif",
        "sarif-category",
        "github-token",
    } == set(inputs)
    assert inputs["fail-on"]["default"] == "high"
    assert inputs["comment"]["default"] == "true" and inputs["upload-sarif"]["default"] == "true"
    for name, spec in inputs.items():
        assert spec["description"].strip(), name
        assert isinstance(spec.get("default", ""), str), name  # Actions inputs are strings


def test_every_input_used_is_declared_and_every_declared_input_is_used(action: dict[str, Any]) -> None:
    text = ACTION.read_text(encoding="utf-8")
    expressions = re.findall(r"\$\{\{(.*?)\}\}", text, flags=re.S)
    # `if:` conditions are expressions without ${{ }}.
    expressions += [str(s["if"]) for s in _steps(action) if "if" in s]
    used = {m for e in expressions for m in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", e)}
    assert used, "no inputs referenced?"
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    assert set(action["inputs"]) <= used, set(action["inputs"]) - used


def test_step_outputs_referenced_exist_before_use(action: dict[str, Any]) -> None:
    seen: set[str] = set()
    for step in _steps(action):
        text = yaml.safe_dump(step)
        for ref in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\b", text):
            assert ref in seen, f"step {step.get('name')!r} uses steps.{ref} before it ran"
        if "id" in step:
            seen.add(step["id"])
    for name, spec in action["outputs"].items():
        ref = re.search(r"steps\.([A-Za-z0-9_-]+)\.outputs", spec["value"])
        assert ref and ref.group(1) in seen, name


def test_run_steps_take_inputs_through_env_never_interpolated(action: dict[str, Any]) -> None:
    """`${{ inputs.x }}` pasted into a script is a shell-injection hole; env vars are not."""
    for step in _steps(action):
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["name"]
        if "script" in step.get("with", {}):
            assert "${{" not in step["with"]["script"], step["name"]


@needs_bash
def test_run_scripts_are_valid_bash(action: dict[str, Any], tmp_path: Path) -> None:
    for i, step in enumerate(s for s in _steps(action) if "run" in s):
        script = tmp_path / f"step{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        result = subprocess.run([BASH, "-n", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, (step["name"], result.stderr)


def test_uses_the_pinned_major_versions(action: dict[str, Any]) -> None:
    uses = [s["uses"] for s in _steps(action) if "uses" in s]
    assert uses == [
        "actions/setup-python@v5",
        "actions/cache/restore@v4",
        "actions/setup-go@v5",
        "actions/cache/save@v4",
        "github/codeql-action/upload-sarif@v3",
        "actions/github-script@v7",
    ]
    assert _named(action, "Set up Go")["with"]["go-version-file"] == "${{ github.action_path }}/tools/opa/go.mod"


def test_sarif_upload_always_runs_with_the_category(action: dict[str, Any]) -> None:
    upload = _named(action, "Upload SARIF")
    assert upload["if"].startswith("always() && inputs.upload-sarif == 'true'")
    assert upload["with"] == {
        "sarif_file": "${{ steps.check.outputs.sarif-file }}",
        "category": "${{ inputs.sarif-category }}",
        "token": "${{ inputs.github-token }}",
    }


def test_comment_only_on_pull_requests_and_finds_its_marker(action: dict[str, Any]) -> None:
    comment = _named(action, "Comment on the pull request")
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert comment["if"].startswith("always() && inputs.comment == 'true'")
    script = comment["with"]["script"]
    assert f'const marker = "{COMMENT_MARKER}";' in script
    assert "startsWith(marker)" in script
    assert "github.rest.issues.updateComment" in script and "github.rest.issues.createComment" in script
    assert "github.paginate(github.rest.issues.listComments" in script
    assert "const limit = 65536;" in script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_comment_script_is_valid_javascript(action: dict[str, Any], tmp_path: Path) -> None:
    script = _named(action, "Comment on the pull request")["with"]["script"]
    wrapped = tmp_path / "script.js"
    wrapped.write_text(f"(async () => {{\n{script}\n}})();\n", encoding="utf-8")  # as github-script runs it
    result = subprocess.run(["node", "--check", str(wrapped)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_last_step_always_runs_and_fails_on_the_exit_code(action: dict[str, Any]) -> None:
    last = _steps(action)[-1]
    assert last["if"] == "always()"
    assert last["env"]["EXIT_CODE"] == "${{ steps.check.outputs.exit-code }}"


# ------------------------------------------------------------------- the action's scripts, run


def _fake_infraaudit(directory: Path) -> Path:
    """Records its arguments; FAKE_RC is its exit code, FAKE_WRITE=0 makes it write nothing."""
    fake = directory / "infraaudit"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\n" "$@" > "$FAKE_LOG"\n'
        'if [ "${FAKE_WRITE:-1}" = 1 ]; then\n'
        "  while [ $# -gt 0 ]; do\n"
        '    case "$1" in --sarif|--markdown) echo report > "$2"; shift ;; esac\n'
        "    shift\n"
        "  done\n"
        "fi\n"
        'exit "${FAKE_RC:-0}"\n',
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def _run_step(step: dict[str, Any], tmp_path: Path, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("", encoding="utf-8")
    summary.write_text("", encoding="utf-8")
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{k: v for k, v in step.get("env", {}).items() if not str(v).startswith("${{")},
        **env,
    }
    assert BASH is not None
    script = tmp_path / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    # How the runner starts `shell: bash` (docs.github.com, workflow syntax, "shell").
    argv = [BASH, "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    result = subprocess.run(argv, env=full_env, capture_output=True, text=True, check=False, cwd=tmp_path)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return result.returncode, outputs, result.stdout + result.stderr


def _check_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {
        "INFRAAUDIT": str(_fake_infraaudit(tmp_path)),
        "INFRAAUDIT_OPA": "/usr/bin/true",
        "FAKE_LOG": str(tmp_path / "args"),
        "OUT_DIR": str(tmp_path / "out"),
        "IN_PULUMI_PREVIEW": "",
        "IN_PULUMI_PROGRAM": "",
        "IN_PULUMI_STACK": "",
        "IN_TERRAFORM_PLAN": "",
        "IN_POLICY_DIR": "",
        "IN_FAIL_ON": "high",
        "IN_CATALOG": "",
        "IN_CONFIG": "",
    }
    env.update(values)
    return env


@needs_bash
def test_check_step_builds_one_run_from_newline_separated_inputs(action: dict[str, Any], tmp_path: Path) -> None:
    env = _check_env(
        tmp_path,
        IN_TERRAFORM_PLAN="plans/a.json\n\n  plans/with space.json  \nplans/c.json",
        IN_PULUMI_PREVIEW="preview.json",
        IN_PULUMI_PROGRAM="infra\n",
        IN_PULUMI_STACK="prod",
        IN_POLICY_DIR="policies/acme",
        IN_CONFIG="infraaudit.yaml",
        IN_CATALOG="catalog.json",
        IN_FAIL_ON="medium",
        FAKE_RC="1",
    )
    rc, outputs, log = _run_step(_step(action, "check"), tmp_path, env)
    assert rc == 0, log  # the step records; the last step fails the job
    out = tmp_path / "out"
    assert (tmp_path / "args").read_text(encoding="utf-8").splitlines() == [
        "check",
        "--pulumi-preview",
        "preview.json",
        "--pulumi-program",
        "infra",
        "--terraform-plan",
        "plans/a.json",
        "--terraform-plan",
        "plans/with space.json",
        "--terraform-plan",
        "plans/c.json",
        "--policy-dir",
        "policies/acme",
        "--stack",
        "prod",
        "--config",
        "infraaudit.yaml",
        "--catalog",
        "catalog.json",
        "--fail-on",
        "medium",
        "--format",
        "table",
        "--sarif",
        f"{out}/infraaudit.sarif",
        "--markdown",
        f"{out}/infraaudit.md",
    ]
    assert outputs == {
        "exit-code": "1",
        "sarif-file": f"{out}/infraaudit.sarif",
        "markdown-file": f"{out}/infraaudit.md",
    }
    assert (tmp_path / "summary").read_text(encoding="utf-8") == "report\n"


@needs_bash
@pytest.mark.parametrize(
    ("env", "code", "called", "files"),
    [
        ({"FAKE_RC": "0"}, "0", True, True),
        ({"FAKE_RC": "3"}, "3", True, True),  # a broken input: recorded, the job will fail
        ({"FAKE_RC": "4", "FAKE_WRITE": "0"}, "4", True, False),
        ({"FAKE_RC": "0", "FAKE_WRITE": "0"}, "3", True, False),  # "passed" without reports is not a pass
        ({"FAKE_RC": "1", "FAKE_WRITE": "0"}, "3", True, False),
        ({"IN_TERRAFORM_PLAN": " \n ", "FAKE_RC": "0"}, "2", False, False),  # no input at all
    ],
)
def test_check_step_exit_codes(
    action: dict[str, Any], tmp_path: Path, env: dict[str, str], code: str, called: bool, files: bool
) -> None:
    base = _check_env(tmp_path, IN_TERRAFORM_PLAN="plan.json")
    rc, outputs, log = _run_step(_step(action, "check"), tmp_path, {**base, **env})
    assert rc == 0, log
    assert outputs["exit-code"] == code
    assert (tmp_path / "args").exists() is called
    assert ("sarif-file" in outputs) is files and ("markdown-file" in outputs) is files
    if code not in {"0", "1"}:
        assert "::error::" in log


@needs_bash
@pytest.mark.parametrize(
    ("code", "status"), [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 4), ("", 3), ("oops", 3), ("130", 130)]
)
def test_last_step_exit_status(action: dict[str, Any], tmp_path: Path, code: str, status: int) -> None:
    rc, _, _ = _run_step(_steps(action)[-1], tmp_path, {"EXIT_CODE": code, "FAIL_ON": "high"})
    assert rc == status


@needs_bash
def test_opa_pin_reads_the_tools_module(action: dict[str, Any], tmp_path: Path) -> None:
    go_mod = (ROOT / "tools" / "opa" / "go.mod").read_text(encoding="utf-8")
    pinned = re.search(r"github\.com/open-policy-agent/opa (v\S+)", go_mod)
    assert pinned
    python_dir = str(Path(sys.executable).parent)
    env = {
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "PATH": f"{python_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    (tmp_path / "python").symlink_to(sys.executable)  # the step calls `python`, as setup-python provides
    env["PATH"] = f"{tmp_path}{os.pathsep}{env['PATH']}"
    rc, outputs, log = _run_step(_step(action, "opa-pin"), tmp_path, env)
    assert rc == 0, log
    assert outputs["version"] == pinned.group(1)
    assert re.fullmatch(rf"infraaudit-opa-{re.escape(pinned.group(1))}-[0-9a-f]{{16}}-Linux-X64", outputs["key"])


# ---------------------------------------------------------------------------- pre-commit hook


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    result: dict[str, Any] = hooks[0]
    return result


def test_hook_has_the_required_keys(hook: dict[str, Any]) -> None:
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["id"] == "infraaudit-check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    assert hook["args"] == ["--fail-on", "high"]
    assert "infraaudit check" in hook["entry"]


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("plans/prod.tfplan.json", True),
        ("stacks/ml/dev.preview.json", True),
        ("plan.json", False),
        ("plan.tfplan", False),
        ("x.tfplan.json.bak", False),
        ("preview.json", False),
    ],
)
def test_hook_file_pattern(hook: dict[str, Any], path: str, matches: bool) -> None:
    assert bool(re.search(hook["files"], path)) is matches


@needs_bash
def test_hook_entry_maps_files_to_flags(hook: dict[str, Any], tmp_path: Path) -> None:
    _fake_infraaudit(tmp_path)
    # What pre-commit runs: shlex-split entry, then args, then the matching file names.
    argv = [*shlex.split(hook["entry"]), *hook["args"], "a b.tfplan.json", "stacks/dev.preview.json", "c.tfplan.json"]
    assert argv[0] == "bash"
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_LOG": str(tmp_path / "args")}
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "args").read_text(encoding="utf-8").splitlines() == [
        "check",
        "--fail-on",
        "high",
        "--terraform-plan",
        "a b.tfplan.json",
        "--pulumi-preview",
        "stacks/dev.preview.json",
        "--terraform-plan",
        "c.tfplan.json",
    ]
    env["FAKE_RC"] = "3"  # the check's exit code is the hook's
    assert subprocess.run(argv, env=env, capture_output=True, check=False).returncode == 3


# ------------------------------------------------------------------------------------ docs/ci.md


def test_docs_show_the_comment_the_renderer_writes() -> None:
    """docs/ci.md embeds the golden comment verbatim (test_report_check_markdown renders it)."""
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("<!-- example-comment:start -->\n", 1)[1].split("<!-- example-comment:end -->", 1)[0]
    assert example == GOLDEN.read_text(encoding="utf-8")


def test_docs_name_the_inputs_and_exit_codes(action: dict[str, Any]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"| `{name}` |" in text, name
    for code in range(5):
        assert f"| {code} |" in text
    for permission in ("security-events: write", "pull-requests: write", "contents: read"):
        assert permission in text
