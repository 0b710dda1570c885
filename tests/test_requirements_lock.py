"""The lock files agree with pyproject.toml: every dependency is pinned within its bounds, with
hashes, nothing is locked that nothing asks for, and the application's lock is the tests' lock
without the test tools."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
APP_LOCK = ROOT / "requirements" / "app.txt"
TEST_LOCK = ROOT / "requirements" / "test.txt"
BUILD_IN = ROOT / "requirements" / "build.in"
HOW_TO_FIX = "run `make lock` and commit requirements/"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def locked(path: Path) -> dict[str, tuple[Version, int]]:
    """Each pinned package of a lock file: its version and how many hashes it lists."""
    found: dict[str, tuple[Version, int]] = {}
    name = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            found[name] = (Version(match.group(2)), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
        elif line and not line.startswith(" "):
            name = None
    return found


def direct_requirements(path: Path) -> set[str]:
    """The packages a lock file says it took for pyproject.toml or build.in themselves."""
    names, current = set(), None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
        elif current and re.search(r"officina \(pyproject\.toml\)|requirements/build\.in",
                                   line):
            names.add(current)
    return names


def requirements(*, test: bool) -> list[Requirement]:
    found = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    if test:
        found += [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]
    found += [Requirement(r) for r in BUILD_IN.read_text().splitlines()
              if r.strip() and not r.startswith("#")]
    return found


def problems_of(lock: Path, wanted: list[Requirement]) -> list[str]:
    pins = locked(lock)
    problems = []
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not locked")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement} is locked at {pins[name][0]}")
        for extra in requirement.extras:  # psycopg[binary] brings psycopg-binary
            if canonicalize_name(f"{requirement.name}-{extra}") not in pins:
                problems.append(f"{requirement}: its extra {extra!r} is not locked")
    problems += [f"{name} {version} has no hash" for name, (version, hashes) in pins.items()
                 if hashes == 0]
    stale = direct_requirements(lock) - {canonicalize_name(r.name) for r in wanted}
    problems += [f"{name} is locked for pyproject.toml, which no longer asks for it"
                 for name in sorted(stale)]
    return problems


def test_the_test_lock_pins_every_dependency_within_pyproject_bounds() -> None:
    problems = problems_of(TEST_LOCK, requirements(test=True))
    assert not problems, f"{TEST_LOCK.name} disagrees with pyproject.toml ({HOW_TO_FIX}):\n" + (
        "\n".join(problems))


def test_the_application_lock_pins_every_dependency_within_pyproject_bounds() -> None:
    problems = problems_of(APP_LOCK, requirements(test=False))
    assert not problems, f"{APP_LOCK.name} disagrees with pyproject.toml ({HOW_TO_FIX}):\n" + (
        "\n".join(problems))


def test_the_application_runs_the_versions_it_is_tested_with() -> None:
    app, test = locked(APP_LOCK), locked(TEST_LOCK)
    assert set(app) <= set(test), sorted(set(app) - set(test))
    differing = {name: (app[name][0], test[name][0]) for name in app
                 if app[name][0] != test[name][0]}
    assert not differing, f"{HOW_TO_FIX}: {differing}"
    test_only = {canonicalize_name(Requirement(r).name)
                 for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert not test_only & set(app), "the application's lock holds test tools"


def test_a_lock_behind_pyproject_is_caught(tmp_path: Path) -> None:
    stale = tmp_path / "test.txt"
    text = TEST_LOCK.read_text()
    flask = locked(TEST_LOCK)["flask"][0]
    stale.write_text(text.replace(f"flask=={flask}", "flask==2.0.0"))
    wanted = [*requirements(test=True), Requirement("officina-extra-tool>=1")]
    problems = problems_of(stale, wanted)
    assert "Flask>=3.0 is locked at 2.0.0" in problems
    assert "officina-extra-tool>=1 is not locked" in problems
    dropped = [r for r in wanted if canonicalize_name(r.name) != "gunicorn"]
    assert "gunicorn is locked for pyproject.toml, which no longer asks for it" in problems_of(
        TEST_LOCK, dropped)
