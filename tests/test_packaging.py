"""Data files the code reads ship inside the wheel (an offline machine installs the wheel, not the checkout)."""

from __future__ import annotations

import fnmatch
import tomllib

from .conftest import ROOT


def test_every_data_file_of_a_package_is_declared_package_data():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    missing = []
    for package in ("retrieval", "evals", "bot"):
        base = ROOT / package
        for path in base.rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(base).as_posix()
            if not any(fnmatch.fnmatch(rel, pattern) for pattern in declared.get(package, [])):
                missing.append(f"{package}/{rel}")
    assert not missing, missing  # decision.toml, lexicon.toml and sentence.toml were left out of the wheel
