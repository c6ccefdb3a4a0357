"""`platform/` is the package `dealernet` and never shadows the standard library's `platform`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_dealernet_is_importable_and_platform_is_the_standard_library() -> None:
    script = (
        "import platform, dealernet.tenants, dealernet.graphql; "
        "assert platform.system(); "
        "assert hasattr(platform, 'python_version'); "
        "print(platform.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert not result.stdout.strip().startswith(str(REPO / "platform"))
    assert not (REPO / "platform" / "__init__.py").exists()
