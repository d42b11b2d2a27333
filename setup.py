"""Maps the top-level folders into the single `infraaudit.*` namespace.

pyproject.toml cannot express a package-dir mapping per folder with sub-package discovery,
so each root gets its own discovery loop: no sub-package is silently dropped. Folders that
hold only data (the Rego library, the catalog snapshot) are namespace packages, so their
files ship as package data without setuptools warnings.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {"audit": "audit", "cli": "cli", "stacks": "stacks", "policies": "policies"}
NOT_SHIPPED = ["__pycache__", "*.__pycache__", "testdata", "testdata.*", "pulumi-pack", "pulumi-pack.*"]
DATA_FILES = ["*.rego", "*.json", "py.typed"]

packages: list[str] = []
package_dir: dict[str, str] = {}
for name, folder in ROOTS.items():
    top = f"infraaudit.{name}"
    packages.append(top)
    package_dir[top] = folder
    for sub in find_namespace_packages(where=folder, exclude=NOT_SHIPPED):
        packages.append(f"{top}.{sub}")
        package_dir[f"{top}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir, package_data={"": DATA_FILES})
