"""A PEP 517 build backend in the standard library: builds the pure-Python wheel and sdist of this folder.

Written by hand so that `pip install --no-build-isolation ./python` works offline on any Python 3.11+,
whether or not setuptools and wheel are installed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _project() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    project = dict(data["project"])
    project["package"] = data["tool"]["hermes-build"]["package"]
    return project


def _dist(project: dict[str, object]) -> str:
    return str(project["name"]).replace("-", "_")


def _metadata(project: dict[str, object]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        "License: MIT",
    ]
    classifiers = project.get("classifiers", [])
    lines += [f"Classifier: {c}" for c in classifiers] if isinstance(classifiers, list) else []
    readme = ROOT / str(project.get("readme", "README.md"))
    body = readme.read_text("utf-8") if readme.exists() else ""
    return "\n".join(lines) + "\nDescription-Content-Type: text/markdown\n\n" + body


def _package_files(package: str) -> list[Path]:
    files = []
    for p in sorted((ROOT / package).rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")):
            files.append(p)
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory: str, entries: list[tuple[str, bytes]], project: dict[str, object]) -> str:
    dist = _dist(project)
    info = f"{dist}-{project['version']}.dist-info"
    entries = entries + [
        (f"{info}/METADATA", _metadata(project).encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: hermes_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{info}/top_level.txt", f"{project['package']}\n".encode()),
    ]
    record = [_record_line(n, d) for n, d in entries] + [f"{info}/RECORD,,"]
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    name = f"{dist}-{project['version']}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in entries:
            zi = zipfile.ZipInfo(n, _EPOCH)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, d)
    return name


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    """Nothing beyond the standard library."""
    return []


def get_requires_for_build_sdist(config_settings: object = None) -> list[str]:
    """Nothing beyond the standard library."""
    return []


def get_requires_for_build_editable(config_settings: object = None) -> list[str]:
    """Nothing beyond the standard library."""
    return []


def build_wheel(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    """Builds the py3-none-any wheel holding the package folder."""
    project = _project()
    entries = [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in _package_files(str(project["package"]))]
    return _write_wheel(wheel_directory, entries, project)


def build_editable(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    """Builds an editable wheel: a .pth file that puts this folder on sys.path."""
    project = _project()
    return _write_wheel(wheel_directory, [(f"__editable__.{_dist(project)}.pth", f"{ROOT}\n".encode())], project)


def build_sdist(sdist_directory: str, config_settings: object = None) -> str:
    """Builds the source archive: pyproject, the backend, the package and the README."""
    project = _project()
    base = f"{_dist(project)}-{project['version']}"
    files = [ROOT / "pyproject.toml", ROOT / "_backend" / "hermes_build.py", *_package_files(str(project["package"]))]
    if (ROOT / "README.md").exists():
        files.append(ROOT / "README.md")
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        pkg_info = _metadata(project).encode()
        ti = tarfile.TarInfo(f"{base}/PKG-INFO")
        ti.size = len(pkg_info)
        ti.mode = 0o644
        tar.addfile(ti, io.BytesIO(pkg_info))
        for p in files:
            data = p.read_bytes()
            ti = tarfile.TarInfo(f"{base}/{p.relative_to(ROOT).as_posix()}")
            ti.size = len(data)
            ti.mode = 0o644
            tar.addfile(ti, io.BytesIO(data))
    return name
