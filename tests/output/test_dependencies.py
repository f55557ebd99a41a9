"""A function's requirements.txt becomes packages in its bundle: wheels for its platform
only, every package pinned, the same bytes from every install, installed once per set of
requirements. The wheels are written by the tests (tests/support/wheels.py); pip looks
nowhere else (`--no-index`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from generator import cli
from generator import config as config_module
from generator.build import generate
from generator.output import bundles, dependencies
from generator.output.bundles import BundleError, bundle_all
from generator.output.dependencies import DependencyError, Installer, Pip
from generator.output.tree import read_tree
from tests.conftest import resources_of_type
from tests.support.wheels import ARM64, NEWER_GLIBC, wheel


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    wheel(folder, "tinylib", requires=("tinydep==2.0",), script=True)
    wheel(folder, "tinydep", "2.0")
    wheel(folder, "fastlib", tag=ARM64, files={"fastlib.cpython-311-aarch64-linux-gnu.so": "ELF"})
    wheel(folder, "newlib", tag=NEWER_GLIBC, files={"newlib.so": "ELF"})
    wheel(folder, "solo", "1.0")
    wheel(folder, "solo", "1.1")
    return folder


def function(root: Path, requirements: str, name: str = "api") -> Path:
    source = root / name
    source.mkdir(parents=True)
    (source / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (source / "requirements.txt").write_text(requirements)
    return source


def offline(wheels: Path, cache: Path | None = None) -> Installer:
    return Installer(Pip((wheels,), no_index=True), cache)


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return archive.namelist()


def packaged(source: Path, installer: Installer, architecture: str = "arm64") -> bytes:
    with dependencies.installed("api", source, architecture, installer) as packages:
        return bundles.bundle("api", source, packages).data


def test_packages_are_installed_beside_the_code_without_what_varies(tmp_path, wheels):
    source = function(tmp_path, "tinylib==1.0\ntinydep==2.0\n")
    data = packaged(source, offline(wheels))
    listed = names(data)
    assert {"app.py", "requirements.txt", "tinylib/__init__.py", "tinydep/__init__.py"} <= set(
        listed
    )
    assert "tinylib-1.0.dist-info/METADATA" in listed
    # The console script names this machine's Python; bytecode carries file times.
    assert not [n for n in listed if n.startswith("bin/") or "__pycache__" in n]
    with zipfile.ZipFile(BytesIO(data)) as archive:
        record = archive.read("tinylib-1.0.dist-info/RECORD").decode()
    assert "bin/" not in record and "tinylib/__init__.py" in record


def test_the_same_requirements_give_the_same_bytes_from_every_install(tmp_path, wheels):
    source = function(tmp_path, "tinylib==1.0 \\\n  # the library\ntinydep==2.0\n")
    first = packaged(source, offline(wheels))
    # Another install, into another folder, by another path to the same wheels.
    moved = shutil.copytree(wheels, tmp_path / "elsewhere")
    assert packaged(source, offline(moved)) == first


def another_machine(root: Path) -> str:
    """This venv's interpreter and packages at another path, as another machine has them:
    pip writes that path into the console scripts it installs."""
    venv = Path(sys.prefix)
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    shutil.copy(venv / "pyvenv.cfg", root / "pyvenv.cfg")
    (root / "lib").symlink_to(venv / "lib")
    return str(root / "bin" / "python")


def test_two_machines_bundle_the_same_bytes(tmp_path, wheels, monkeypatch):
    source = function(tmp_path, "tinylib==1.0\ntinydep==2.0\n")
    built = []
    for name in ("one", "two"):
        machine = tmp_path / name
        (machine / "tmp").mkdir(parents=True)
        monkeypatch.setattr(sys, "executable", another_machine(machine / "venv"))
        monkeypatch.setattr(tempfile, "tempdir", str(machine / "tmp"))
        built.append(bundles.Asset("api", packaged(source, offline(wheels))))
    assert built[0].data == built[1].data
    assert built[0].key == built[1].key


def test_a_changed_pin_changes_the_bundle_and_its_key(tmp_path, wheels):
    cache = tmp_path / "cache"
    source = function(tmp_path, "solo==1.0\n")
    before = bundles.Asset("api", packaged(source, offline(wheels, cache)))
    (source / "requirements.txt").write_text("solo==1.1\n")
    after = bundles.Asset("api", packaged(source, offline(wheels, cache)))
    assert "solo-1.1.dist-info/METADATA" in names(after.data)
    assert after.key != before.key and after.code_sha256 != before.code_sha256


def test_installs_are_kept_by_requirements_and_platform(tmp_path, wheels, monkeypatch):
    cache = tmp_path / "cache"
    source = function(tmp_path, "tinylib==1.0\ntinydep==2.0\n")
    first = packaged(source, offline(wheels, cache))
    assert len(list(cache.iterdir())) == 1

    def no_pip(*args, **kwargs):
        raise AssertionError("pip ran although the install was kept")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert packaged(source, offline(wheels, cache)) == first
    monkeypatch.undo()
    # Another platform is another install.
    packaged(source, offline(wheels, cache), architecture="x86_64")
    assert len(list(cache.iterdir())) == 2
    assert dependencies.cache_key(b"a==1\n", "p") != dependencies.cache_key(b"a==2\n", "p")


def test_a_wheel_for_the_functions_architecture_only(tmp_path, wheels):
    source = function(tmp_path, "fastlib==1.0\n")
    assert "fastlib.cpython-311-aarch64-linux-gnu.so" in names(packaged(source, offline(wheels)))
    with pytest.raises(DependencyError, match=r"no wheel of fastlib==1\.0 .*manylinux2014_x86_64"):
        packaged(source, offline(wheels), architecture="x86_64")


def test_a_wheel_newer_than_lambdas_glibc_is_no_wheel(tmp_path, wheels):
    source = function(tmp_path, "newlib==1.0\n")
    with pytest.raises(DependencyError, match=r"no wheel of newlib==1\.0 for CPython 3\.11"):
        packaged(source, offline(wheels))


def test_a_package_with_only_a_source_archive_is_refused_by_name(tmp_path, wheels):
    (wheels / "srconly-1.0.tar.gz").write_bytes(b"")
    source = function(tmp_path, "srconly==1.0\n")
    with pytest.raises(DependencyError, match=r"no wheel of srconly==1\.0"):
        packaged(source, offline(wheels))


@pytest.mark.parametrize(
    "requirements, message",
    [
        ("tinydep>=2\n", r"requirements\.txt:1: 'tinydep>=2' does not pin one version"),
        ("tinydep==2.0\n-r more.txt\n", r"requirements\.txt:2: -r is not allowed"),
        ("tinydep==2.0\n--index-url https://x\n", r":2: --index-url is not allowed"),
        (
            'tinydep==2.0; platform_machine == "aarch64"\n',
            r":1: .* has an environment marker, which pip evaluates on the build machine",
        ),
    ],
)
def test_every_line_pins_a_package(tmp_path, wheels, requirements, message):
    source = function(tmp_path, requirements)
    with pytest.raises(DependencyError, match=message):
        packaged(source, offline(wheels))


def test_a_dependency_of_a_dependency_must_be_pinned_too(tmp_path, wheels):
    source = function(tmp_path, "tinylib==1.0\n")
    with pytest.raises(DependencyError, match=r"pip also installed tinydep==2\.0"):
        packaged(source, offline(wheels))


def test_hashes_are_accepted_and_names_compared_as_pip_does(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(
        "Tiny_Lib==1.0 --hash=sha256:ab \\\n    --hash=sha256:cd\n# a comment\n\nother.pkg==2\n"
    )
    assert dependencies.pins(path, "r") == {"tiny-lib": "1.0", "other-pkg": "2"}


def test_no_requirements_no_install(tmp_path, wheels, monkeypatch):
    source = function(tmp_path, "# nothing yet\n")
    monkeypatch.setattr(subprocess, "run", None)
    with dependencies.installed("api", source, "arm64", offline(wheels)) as packages:
        assert packages is None


def test_a_file_of_the_function_may_not_shadow_a_package(tmp_path, wheels):
    source = function(tmp_path, "tinydep==2.0\n")
    (source / "tinydep").mkdir()
    (source / "tinydep" / "__init__.py").write_text("")
    with pytest.raises(BundleError, match=r"tinydep/__init__\.py is both in"):
        packaged(source, offline(wheels))


def test_lambdas_size_limit_is_checked_with_room_for_the_layer(tmp_path, wheels, monkeypatch):
    source = function(tmp_path, "tinylib==1.0\ntinydep==2.0\n")
    monkeypatch.setattr(bundles, "MAX_BUNDLE", 100)
    with pytest.raises(BundleError, match=r"api: \d[\d,]* bytes unzipped, over the 100 bytes"):
        packaged(source, offline(wheels))


def test_every_function_of_a_config_is_bundled_with_its_packages(write_config, wheels):
    def edit(raw):
        raw["functions"]["worker"] = {"source": "functions/worker", "architecture": "x86_64"}
        raw["pip"] = {"find_links": ["wheels"], "no_index": True}

    path = write_config(edit)
    (path.parent / "functions" / "worker" / "requirements.txt").write_text("fastlib==1.0\n")
    from generator import config as config_module

    config = config_module.load(path)
    with pytest.raises(BundleError, match=r"worker: requirements\.txt: no wheel of fastlib"):
        bundle_all(config, bundles.installer_for(config, None))


def with_packages(requirements: str, architecture: str = "arm64") -> Any:
    """An edit of the reference config: pip reads the tests' wheels only, and the `api`
    function (whose folder the fixture writes) gets `requirements`."""

    def edit(raw: dict[str, Any]) -> None:
        raw["pip"] = {"find_links": ["wheels"], "no_index": True}
        raw["functions"]["api"]["architecture"] = architecture

    def write(write_config: Any) -> Path:
        path: Path = write_config(edit)
        (path.parent / "functions" / "api" / "requirements.txt").write_text(requirements)
        return path

    return write


def versions(path: Path, cache: Path | None) -> dict[str, str]:
    """Each Lambda version of app.json, by logical id, with its CodeSha256."""
    template = generate(config_module.load(path), dependency_cache=cache).data["app.json"]
    return {
        logical_id: resource["Properties"]["CodeSha256"]
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Version").items()
    }


def test_unchanged_requirements_publish_no_new_version(write_config, wheels, tmp_path):
    path = with_packages("solo==1.0\n")(write_config)
    first = versions(path, None)
    # Another build, installing afresh into another folder, names the same version.
    assert versions(path, tmp_path / "cache") == first
    assert versions(path, tmp_path / "cache") == first  # and from the kept install
    (path.parent / "functions" / "api" / "requirements.txt").write_text("solo==1.1\n")
    changed = versions(path, tmp_path / "cache")
    assert set(changed).isdisjoint(first)
    assert set(changed.values()).isdisjoint(first.values())


def test_no_wheel_for_the_platform_exits_2_naming_it_and_writes_nothing(
    write_config, wheels, tmp_path, capsys
):
    path = with_packages("fastlib==1.0\n", architecture="x86_64")(write_config)
    out = tmp_path / "templates"
    out.mkdir()
    (out / "app.json").write_text("the last good build\n")
    args = ["--config", str(path), "--out", str(out), "--assets", str(tmp_path / "assets")]
    assert cli.main(args) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert (
        "templates not written; api: requirements.txt: no wheel of fastlib==1.0 for CPython "
        "3.11 on manylinux2014_x86_64" in err
    )
    assert "Traceback" not in err
    assert read_tree(out) == {"app.json": "the last good build\n"}
    assert not (tmp_path / "assets").exists()
