"""Find a model folder on disk, or download a known model into the download folder with checked hashes.

Resolution order of :func:`resolve_model`: an existing folder (or model file) path, then
``<model_dir>/<name>`` (``model_dir`` argument, else env ``POSE_DEMO_MODEL_DIR``), then the download
folder ``<download_dir>/<name>``, then a download of a known model into it. A download is written
to ``<download_dir>/.<name>.partial-XXXX`` and renamed to ``<download_dir>/<name>`` only when every
file matched its sha256, so a failed download never leaves a usable-looking folder behind.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from pose_demo.i18n import Message, UserError
from pose_demo.models.registry import MODELS, ModelSpec, RemoteFile, model_spec

MODEL_DIR_ENV = "POSE_DEMO_MODEL_DIR"
DEFAULT_DOWNLOAD_DIR = Path(__file__).resolve().parents[2] / "output_inference"
# model file suffix -> (format, weights file suffix), in order of preference
FORMATS: dict[str, tuple[str, str | None]] = {
    ".xml": ("openvino", ".bin"),
    ".onnx": ("onnx", None),
    ".pdmodel": ("paddle_legacy", ".pdiparams"),
    ".json": ("paddle3", ".pdiparams"),
}
_EXPECTED = Message("error.model.expected_files")  # the model files a folder may hold

Progress = Callable[[int, int], None]


class ModelStoreError(UserError, RuntimeError):
    """A model could not be found, read or downloaded."""


class ModelNotFoundError(ModelStoreError):
    """No usable local copy of the model, and it could not be downloaded."""


class ModelDownloadError(ModelStoreError):
    """A downloaded file failed its check; nothing was cached."""


@dataclass(frozen=True)
class ModelFolder:
    """A model on disk. ``spec`` is None for a folder that is not a known model."""

    path: Path
    spec: ModelSpec | None
    format: str
    model_file: Path
    weights_file: Path | None
    infer_cfg: dict | None


def resolve_model(
    name_or_path: str | os.PathLike[str],
    *,
    model_dir: str | Path | None = None,
    download_dir: str | Path = DEFAULT_DOWNLOAD_DIR,
    download: bool = True,
    progress: Progress | None = None,
) -> ModelFolder:
    """Find the model folder for a registry name or a path, downloading a known model if needed."""
    path = Path(name_or_path).expanduser().absolute()
    if path.is_file():
        return read_model_folder(path.parent, model_file=path)
    if path.is_dir():
        return read_model_folder(path)
    name = str(name_or_path)
    spec = model_spec(name)
    search_dir = model_dir or os.environ.get(MODEL_DIR_ENV)
    folders = ([Path(search_dir) / name] if search_dir else []) + [Path(download_dir) / name]
    for folder in folders:
        if folder.is_dir():
            return read_model_folder(folder, spec)
    if spec is None:
        raise ModelNotFoundError(
            "error.model.unknown", name=name, folders=", ".join(map(str, folders)), known=", ".join(MODELS)
        )
    if spec.name != name:  # an INT8 variant: made here, never downloaded
        raise ModelNotFoundError("error.model.int8_not_made", name=name, base=spec.name)
    if not download:
        raise _missing(spec, Path(download_dir), Message("error.model.downloads_off"))
    return read_model_folder(download_model(spec, download_dir, progress), spec)


def resolve_models(
    names: Sequence[str | os.PathLike[str]],
    *,
    model_dir: str | Path | None = None,
    download_dir: str | Path = DEFAULT_DOWNLOAD_DIR,
    download: bool = True,
) -> list[ModelFolder]:
    """``resolve_model`` for each name; when some cannot be found, one ModelNotFoundError that says it for
    all of them at once (where each was looked for, and where to get it)."""
    folders, problems = [], []
    for name in names:
        try:
            folders.append(
                resolve_model(name, model_dir=model_dir, download_dir=download_dir, download=download)
            )
        except ModelNotFoundError as e:
            problems.append(e)
    if problems:
        raise functools.reduce(
            lambda a, b: ModelNotFoundError("error.model.problems", first=a, then=b), problems
        )
    return folders


def read_model_folder(
    folder: Path, spec: ModelSpec | None = None, model_file: Path | None = None
) -> ModelFolder:
    """Describe the model in ``folder`` (its ``model_file`` if given, else the preferred one found)."""
    model_file = model_file or find_model_file(folder)
    if model_file is None:
        content = ", ".join(sorted(p.name for p in folder.iterdir())) or Message("error.model.nothing")
        raise ModelNotFoundError(
            "error.model.no_model_file", folder=folder, content=content, expected=_EXPECTED
        )
    if model_file.suffix not in FORMATS:
        raise ModelStoreError("error.model.not_model_file", file=model_file, expected=_EXPECTED)
    model_format, weights_suffix = FORMATS[model_file.suffix]
    weights_file = model_file.with_suffix(weights_suffix) if weights_suffix else None
    if weights_file and not weights_file.is_file():
        raise ModelNotFoundError("error.model.no_weights", file=model_file, weights=weights_file.name)
    cfg_file = folder / "infer_cfg.yml"
    infer_cfg = yaml.safe_load(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else None
    return ModelFolder(folder, spec, model_format, model_file, weights_file, infer_cfg)


def find_model_file(folder: Path) -> Path | None:
    """The model file of the most preferred format in ``folder`` that has its weights beside it.

    Among several of one format, ``model.<ext>`` or ``<folder name>.<ext>`` wins; otherwise the
    choice is ambiguous and raises.
    """
    for suffix, (_, weights_suffix) in FORMATS.items():
        candidates = folder.glob(f"*{suffix}")
        found = sorted(p for p in candidates if not weights_suffix or p.with_suffix(weights_suffix).is_file())
        preferred = [p for stem in ("model", folder.name) for p in found if p.stem == stem]
        if len(found) > 1 and not preferred:
            names = ", ".join(p.name for p in found)
            raise ModelStoreError("error.model.several_files", folder=folder, names=names)
        if found:
            return (preferred or found)[0]
    return None


def download_model(
    spec: ModelSpec, download_dir: str | Path = DEFAULT_DOWNLOAD_DIR, progress: Progress | None = None
) -> Path:
    """Download ``spec`` into ``<download_dir>/<name>``, checking every sha256, and return that folder.

    ``progress(bytes_done, bytes_total)`` is called per file while it downloads (total 0 if unknown).
    """
    download_dir = Path(download_dir)
    target = download_dir / spec.name
    if target.exists():
        raise ModelStoreError("error.model.already_exists", target=target, name=spec.name)
    download_dir.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{spec.name}.partial-", dir=download_dir))
    try:
        try:
            for remote in (spec.archive,) if spec.archive else spec.files:
                fetch_file(remote, partial, progress)
        except OSError as error:  # urllib's HTTP, connection and timeout errors are all OSErrors
            raise _missing(spec, download_dir, error) from error
        folder = _extract(partial / spec.archive.name, partial / "extracted") if spec.archive else partial
        os.replace(folder, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def fetch_file(remote: RemoteFile, folder: Path, progress: Progress | None) -> None:
    """Stream ``remote`` into ``folder``, hashing while writing; keep it only if the hash matches
    (otherwise the partial file is removed and ``ModelDownloadError`` raised)."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(remote.url, timeout=60) as response:
        total = int(response.headers.get("Content-Length") or 0)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{remote.name}.", delete=False) as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                if progress:
                    progress(out.tell(), total)
    if digest.hexdigest() != remote.sha256:
        Path(out.name).unlink()
        raise ModelDownloadError(
            "error.model.bad_sha256",
            name=remote.name,
            url=remote.url,
            found=digest.hexdigest(),
            expected=remote.sha256,
        )
    os.replace(out.name, folder / remote.name)


def _extract(archive: Path, dest: Path) -> Path:
    """Unzip ``archive`` into ``dest`` (refusing members that escape it); return the model's folder."""
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.namelist():
            if not (dest / member).resolve().is_relative_to(dest.resolve()):
                raise ModelDownloadError("error.model.zip_escape", name=archive.name, member=member)
        zipped.extractall(dest)
    folders = sorted((p for p in dest.rglob("*") if p.is_dir()), key=lambda p: (len(p.parts), p))
    found = next((folder for folder in [dest, *folders] if find_model_file(folder)), None)
    if found is None:
        raise ModelDownloadError("error.model.zip_empty", name=archive.name, expected=_EXPECTED)
    return found


def _missing(spec: ModelSpec, download_dir: Path, reason: object) -> ModelNotFoundError:
    remotes = [spec.archive] if spec.archive else list(spec.files)
    return ModelNotFoundError(
        "error.model.missing_zip" if spec.archive else "error.model.missing",
        name=spec.name,
        reason=reason,
        target=download_dir / spec.name,
        variable=MODEL_DIR_ENV,
        urls="\n".join(f"  {remote.url}" for remote in remotes),
    )
