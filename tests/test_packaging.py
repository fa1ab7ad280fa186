"""The wheel carries one import name and every spec, and works installed outside this checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from specmock import specs
from specmock.mocks.page import ASSETS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path_factory.mktemp("build-cwd"),
    )
    (built,) = out.glob("specmock-*.whl")
    return built


def test_wheel_has_one_import_name_and_the_specs(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"specmock"}
    for spec in specs.SPEC_FILES:
        assert f"specmock/specs/{spec}" in names
    # the check policy ships beside the specs, the same file schemathesis finds at the repository root
    shipped = zipfile.ZipFile(wheel).read(f"specmock/specs/{specs.SCHEMATHESIS_CONFIG}")
    assert shipped == (Path(__file__).resolve().parents[1] / "schemathesis.toml").read_bytes()
    assert "specmock/py.typed" in names
    for page_file in ASSETS:  # the mock's page is package data: served from an installed wheel too
        assert f"specmock/mocks/page/{page_file}" in names
    assert "specmock/contracts/consumer/node/specmock-driver.mjs" in names  # the Node driver kit
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "specmock = specmock.cli:main" in text
    assert "specmock = specmock.contracts.plugin" in text


def test_installed_wheel_imports_and_finds_every_spec(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    dependencies = sysconfig.get_paths()["purelib"]  # the dependencies only: the editable finder needs .pth
    script = (
        "import specmock, specmock.mocks, specmock.contracts, specmock.specs as s, pathlib;"
        f"assert pathlib.Path(specmock.__file__).is_relative_to({str(target)!r}), specmock.__file__;"
        "missing=[n for n in (*s.SPEC_FILES, s.SCHEMATHESIS_CONFIG) if not s.path(n).is_file()];"
        "assert not missing, missing;"
        "import importlib.util as u;"
        "assert u.find_spec('mocks') is None and u.find_spec('contracts') is None;"
        "from specmock.mocks.page import ASSETS, asset;"
        "assert all(asset(n).status_code == 200 and asset(n).body for n in ASSETS);"
        "print('ok', len(s.SPEC_FILES))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": f"{target}:{dependencies}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {len(specs.SPEC_FILES)}"
