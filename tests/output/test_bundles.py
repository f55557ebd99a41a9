"""Function bundles are byte-for-byte reproducible and named by their content."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from io import BytesIO

from generator.output.bundles import bundle


def make_source(root):
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "pkg" / "util.py").write_text("X = 1\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0junk")
    return root


def test_same_source_same_bytes_whatever_the_file_times(tmp_path):
    source = make_source(tmp_path / "src")
    first = bundle("api", source)
    os.utime(source / "app.py", (1_000_000, 1_000_000))
    (source / "pkg" / "util.py").chmod(0o600)
    assert bundle("api", source).data == first.data


def test_contents_order_and_metadata(tmp_path):
    asset = bundle("api", make_source(tmp_path / "src"))
    with zipfile.ZipFile(BytesIO(asset.data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["app.py", "pkg/util.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert archive.read("app.py").startswith(b"def handler")


def test_names_and_hashes(tmp_path):
    asset = bundle("api", make_source(tmp_path / "src"))
    digest = hashlib.sha256(asset.data).digest()
    assert asset.key == f"api/{digest.hex()}.zip"
    assert base64.b64decode(asset.code_sha256) == digest


def test_changed_code_changes_the_key(tmp_path):
    source = make_source(tmp_path / "src")
    before = bundle("api", source).key
    (source / "app.py").write_text("def handler(e, c):\n    return 2\n")
    assert bundle("api", source).key != before
