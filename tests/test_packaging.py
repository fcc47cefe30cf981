"""A regular install (the Docker image's) carries every module and data file the source tree has.

The README's commands install the project in editable mode, which reads the source tree, so a
package or data file missing from pyproject.toml's lists would only show in the image.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Starts processes or HTTP servers: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "i18n", "knowledge")
DATA = ("*.yaml", "*.md", "*.po", "*.pot")


def test_the_wheel_has_every_module_and_data_file(tmp_path: Path) -> None:
    # Built from a copy of the project's files: a build/ folder left in the work tree would
    # otherwise lend the wheel files that pyproject.toml no longer names.
    source = tmp_path / "src"
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*command, "-w", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300
    )
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        path.relative_to(source).as_posix()
        for package in PACKAGES
        for pattern in ("*.py", *DATA)
        for path in (source / package).rglob(pattern)
    }
    assert sorted(wanted - shipped) == []
