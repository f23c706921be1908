"""The files a client sends: which ones the handlers may open, and safe names for the files made from them.

The events that take files skip Gradio's preprocessing, and Gradio checks only payloads that carry its
``meta`` marker, so a client can send any server path. A handler therefore opens a file only when its
real path (symlinks followed) lies in one of the app's upload folders: Gradio's upload and cache folder,
which holds what users upload and the copies of the examples that Gradio shows. Anything else is refused
with one message that neither echoes the path nor tells whether it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder

from pose_demo.app.language import error
from pose_demo.i18n import translate

Upload = dict[str, Any] | str | None  # a Gradio file payload (unprocessed), or a path

NOT_UPLOADED = translate("ui.error.not_uploaded")  # in English; each user is told in their language
NAME_MAX_BYTES = 60  # output names add at most ~20 bytes ("_preview.gif"): well within 255
FALLBACK_NAME = "result"


@dataclass(frozen=True)
class UploadFolders:
    """The folders whose files the handlers may open (resolved, absolute)."""

    folders: tuple[Path, ...]

    @classmethod
    def of(cls, *folders: str | Path) -> UploadFolders:
        return cls(tuple(Path(f).resolve() for f in folders))

    @classmethod
    def gradio(cls) -> UploadFolders:
        """Gradio's upload and cache folder: ``GRADIO_TEMP_DIR``, else ``<system temp>/gradio``."""
        return cls.of(get_upload_folder())

    def holds(self, path: Path) -> bool:
        """Whether the resolved ``path`` lies inside one of the folders."""
        return any(path.is_relative_to(folder) for folder in self.folders)


def _file(upload: Upload) -> Upload:
    """The file of an upload: gr.Video nests it as ``{"video": file, "subtitles": ...}``."""
    return upload["video"] if isinstance(upload, dict) and "video" in upload else upload


def upload_path(upload: Upload, what: str, allowed: UploadFolders, language: str = "en") -> Path:
    """The uploaded file's real path, once checked to be a file in ``allowed``; else a gr.Error in
    ``language`` (``what``: the kind of file, in that language)."""
    file = _file(upload)
    path = file.get("path") if isinstance(file, dict) else file
    if not path:
        raise error(translate("ui.error.no_upload", language, what=what), language)
    try:
        resolved = Path(path).resolve()
        accepted = allowed.holds(resolved) and resolved.is_file()
    except (TypeError, ValueError, OSError, RuntimeError):  # not a path, a NUL byte, a symlink loop
        accepted = False
    if not accepted:
        raise error(translate("ui.error.not_uploaded", language), language)
    return resolved


def optional_upload_path(
    upload: Upload, what: str, allowed: UploadFolders, language: str = "en"
) -> str | None:
    """``upload_path`` as a string, for an optional file: None when none was given."""
    return str(upload_path(upload, what, allowed, language)) if upload else None


def upload_name(upload: Upload) -> str:
    """A short, safe stem for the files made from an upload, from its own name (Gradio's ``orig_name``).

    Letters (any script), digits, ``-`` and ``_`` are kept, runs of anything else become one ``_``, and
    the result is cut to ``NAME_MAX_BYTES`` bytes of UTF-8 without splitting a character.
    """
    file = _file(upload)
    if isinstance(file, dict):
        file = file.get("orig_name") or file.get("path")
    stem = Path(file).stem if isinstance(file, str) else ""
    safe = re.sub(r"[^\w-]+", "_", stem).strip("_")
    safe = safe.encode("utf-8")[:NAME_MAX_BYTES].decode("utf-8", errors="ignore").strip("_")
    return safe or FALLBACK_NAME
