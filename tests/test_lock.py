"""The lock files agree with pyproject.toml; the README, CI and the Dockerfile install from them.

pyproject.toml keeps ranges; requirements/*.txt pin every package, transitive ones included, with
hashes (written by `requirements/refresh`). These tests fail when the two drift apart: a dependency
added to pyproject but not locked, or a pin that pyproject's range no longer admits.
"""

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"

# Which pyproject groups each lock must cover ("" is the runtime, "build" the build backend).
LOCKS = {
    "lock.txt": ("", "build"),
    "test.txt": ("", "build", "test"),
    "dev.txt": ("", "build", "test", "bench", "dev"),
}


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: str
    hashes: int


def parse_lock(text: str) -> list[Pin]:
    """The pins of a pip requirements file written by uv (continuation lines joined)."""
    pins = []
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if not entry:
            continue
        spec, _, marker = entry.partition(";")
        marker, hashes = marker.split(" --hash", 1)[0] if marker else "", entry.count("--hash=")
        name, sep, version = spec.split("--hash", 1)[0].strip().partition("==")
        assert sep, f"not a pin: {entry!r}"
        pins.append(Pin(canonicalize_name(name), Version(version), marker.strip(), hashes))
    return pins


def requirements_of(pyproject: dict, groups: tuple[str, ...]) -> list[Requirement]:
    """pyproject's requirements for the named groups."""
    found = []
    for group in groups:
        if group == "":
            texts = pyproject["project"]["dependencies"]
        elif group == "build":
            texts = pyproject["build-system"]["requires"]
        else:
            texts = pyproject["project"]["optional-dependencies"][group]
        found += [Requirement(text) for text in texts]
    return found


def disagreements(requirements: list[Requirement], pins: list[Pin]) -> list[str]:
    """What is wrong between pyproject's ranges and a lock: one line per problem."""
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    problems = []
    for req in requirements:
        name = canonicalize_name(req.name)
        if name not in by_name:
            problems.append(f"{req.name}: in pyproject.toml but not locked")
            continue
        for pin in by_name[name]:
            if not req.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{req.name}: locked at {pin.version}, outside {req.specifier}")
    problems += [f"{pin.name}=={pin.version}: no hash" for pin in pins if pin.hashes == 0]
    return problems


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_each_lock_pins_every_dependency_within_pyprojects_range(
    pyproject: dict, lock: str
) -> None:
    pins = parse_lock((REQUIREMENTS / lock).read_text(encoding="utf-8"))
    assert disagreements(requirements_of(pyproject, LOCKS[lock]), pins) == []


def test_the_check_catches_an_unlocked_dependency_and_a_pin_outside_the_range() -> None:
    lock = "babel==2.19.0 \\\n    --hash=sha256:ab\nrank-bm25==0.2.2 \\\n    --hash=sha256:cd\n"
    requirements = [Requirement("babel>=2.16,<2.19"), Requirement("rank-bm25"), Requirement("x")]
    assert disagreements(requirements, parse_lock(lock)) == [
        "babel: locked at 2.19.0, outside <2.19,>=2.16",
        "x: in pyproject.toml but not locked",
    ]
    assert disagreements([], parse_lock("six==1.16.0\n")) == ["six==1.16.0: no hash"]


def test_the_locks_agree_on_every_version() -> None:
    versions: dict[tuple[str, str], set[Version]] = {}
    for lock in LOCKS:
        for pin in parse_lock((REQUIREMENTS / lock).read_text(encoding="utf-8")):
            versions.setdefault((pin.name, pin.marker), set()).add(pin.version)
    assert {key: v for key, v in versions.items() if len(v) > 1} == {}


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.*?)\n```$", readme, flags=re.M | re.S)[:2]


def test_the_readme_set_up_commands_install_from_the_locks() -> None:
    run, test = _readme_commands()
    for command, lock in ((run, "requirements/lock.txt"), (test, "requirements/test.txt")):
        assert f"--require-hashes -r {lock}" in command
        # The project itself adds nothing unlocked: no dependency resolution, no fresh setuptools.
        assert "--no-deps --no-build-isolation -e ." in command
    assert run.endswith("amif-bot") and test.endswith("-m pytest")


def test_the_docker_image_installs_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r /tmp/src/requirements/lock.txt" in dockerfile
    assert "--no-deps --no-build-isolation /tmp/src" in dockerfile


def test_the_tests_run_on_the_locked_versions() -> None:
    """What this suite runs on is what the lock pins (the README's command installs it)."""
    environment = default_environment()
    wrong = []
    for pin in parse_lock((REQUIREMENTS / "test.txt").read_text(encoding="utf-8")):
        if pin.marker and not Requirement(f"x; {pin.marker}").marker.evaluate(environment):
            continue
        try:
            installed = Version(metadata.version(pin.name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{pin.name}: not installed")
            continue
        if installed != pin.version:
            wrong.append(f"{pin.name}: {installed} installed, {pin.version} locked")
    assert wrong == [], "install with: pip install --require-hashes -r requirements/test.txt"
