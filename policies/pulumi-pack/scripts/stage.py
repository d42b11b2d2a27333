"""Stage a self-contained copy of the policy pack for `pulumi policy publish`.

The pack in the repository installs infraaudit from the checkout (`-e ../..`) and runs in the
repository's `.venv-pack`; neither exists where a published pack is installed (Pulumi unpacks it
under ~/.pulumi/policies/ and installs its requirements there). The staged copy bundles an
infraaudit wheel instead and uses its own `venv`:

    .venv/bin/python policies/pulumi-pack/scripts/stage.py build/pulumi-pack
    cd build/pulumi-pack && python3 -m venv venv && venv/bin/pip install -r requirements.txt
    INFRAAUDIT_OPA=/path/to/opa pulumi policy publish [ORG]

Only the pack's runtime files are copied (no tests, no scripts). pip reads the wheel's relative
path from the current directory: install from the staged folder, as Pulumi does.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

PACK = Path(__file__).resolve().parents[1]
REPO = PACK.parents[1]
RUNTIME_FILES = ("__main__.py", "infraaudit_pack.py")
CHECKOUT_REQUIREMENT = "-e ../.."


def build_wheel(destination: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(destination), str(REPO)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    [wheel] = destination.glob("infraaudit-*.whl")
    return wheel


def stage(out: Path, wheel: Path | None = None) -> Path:
    """Write the publishable pack to `out` (which must not exist); returns the bundled wheel."""
    out.mkdir(parents=True)
    wheels = out / "wheels"
    wheels.mkdir()
    if wheel is None:
        bundled = build_wheel(wheels)
    else:
        bundled = wheels / wheel.name
        shutil.copyfile(wheel, bundled)
    version = bundled.name.split("-")[1]
    for name in RUNTIME_FILES:
        shutil.copyfile(PACK / name, out / name)

    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    project["version"] = version
    project["runtime"] = {"name": "python", "options": {"virtualenv": "venv"}}
    (out / "PulumiPolicy.yaml").write_text(yaml.safe_dump(project, sort_keys=False))

    lines = (PACK / "requirements.txt").read_text().splitlines()
    if CHECKOUT_REQUIREMENT not in lines:
        raise SystemExit(f"{PACK / 'requirements.txt'}: no '{CHECKOUT_REQUIREMENT}' line to replace")
    staged = [f"./wheels/{bundled.name}" if line == CHECKOUT_REQUIREMENT else line for line in lines]
    header = "# Staged by policies/pulumi-pack/scripts/stage.py: infraaudit from the bundled wheel (path from cwd)."
    body = [line for line in staged if line.strip() and not line.lstrip().startswith("#")]
    (out / "requirements.txt").write_text("\n".join([header, *body]) + "\n")
    return bundled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--wheel", type=Path, help="an infraaudit wheel to bundle instead of building one")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists; remove it or choose another folder")
    wheel = stage(args.out, args.wheel)
    print(f"staged {args.out} with {wheel.name}; next: see the docstring of {Path(__file__).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
