"""Maps the top-level folders into the single `infraaudit.*` namespace.

pyproject.toml cannot express a package-dir mapping per folder with sub-package discovery,
so each root gets its own find_packages loop: no sub-package is silently dropped.
"""

from setuptools import find_packages, setup

ROOTS = {"audit": "audit", "cli": "cli", "stacks": "stacks", "policies": "policies"}

packages: list[str] = []
package_dir: dict[str, str] = {}
for name, folder in ROOTS.items():
    top = f"infraaudit.{name}"
    packages.append(top)
    package_dir[top] = folder
    for sub in find_packages(where=folder):
        packages.append(f"{top}.{sub}")
        package_dir[f"{top}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)
