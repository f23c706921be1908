"""What a batch runs on: files, folders (recursive), globs and list files expanded into ``BatchInput``s,
each an image or a video (by its extension; by probing it when the extension says neither)."""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pose_demo.i18n import UserError
from pose_demo.video.io import VideoInputError, probe

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"})
LIST_SUFFIXES = frozenset({".txt", ".lst"})  # a text file listing inputs, one a line ("#" comments)


class BatchInputError(UserError, ValueError):
    """The inputs given to a batch name nothing usable; the message says which."""


@dataclass(frozen=True)
class BatchInput:
    """One file to process: its absolute path, ``kind`` ("image" or "video") and ``name``, unique in the
    run, that names its outputs (``<name>.json``, ``<name>.parquet``...)."""

    path: Path
    kind: str
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ("image", "video"):
            raise ValueError(f"kind must be image or video, not {self.kind!r}")


def media_kind(path: Path) -> str:
    """ "image" or "video" by the extension; other files are probed: a video if ffmpeg reads one."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    try:
        probe(path)
    except VideoInputError:
        return "image"  # processed as one, so that a file that is neither fails with the image's message
    return "video"


def _is_media(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES


def _expand(item: str, base: Path) -> list[Path]:
    path = (base / item).expanduser()
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and _is_media(p))
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        return [p for line in lines if line and not line.startswith("#") for p in _expand(line, path.parent)]
    if path.is_file():
        return [path]
    matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
    found = [p for m in matches for p in (_expand(str(m), base) if m.is_dir() else [m]) if p.is_file()]
    if not found:
        raise BatchInputError("error.batch.no_match", item=item)
    return found


def expand_inputs(items: Iterable[str], base: Path | None = None) -> list[BatchInput]:
    """The inputs named by ``items`` (relative to ``base``, default the current folder), each once, in
    order. Folders give their images and videos (recursively); a ``.txt``/``.lst`` file lists inputs."""
    base = base or Path.cwd()
    paths = list(dict.fromkeys(p.absolute() for item in items for p in _expand(item, base)))
    stems: dict[str, int] = {}
    for p in paths:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    return [BatchInput(p, media_kind(p), output_name(p, stems[p.stem] > 1)) for p in paths]


def output_name(path: Path, clashes: bool) -> str:
    """The file's stem; with a hash of its path when another input has the same stem."""
    return f"{path.stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}" if clashes else path.stem
