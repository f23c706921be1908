"""Example media for the galleries: a manifest of pinned URLs + sha256, downloaded once and kept; and the
gallery of the Image and Video tabs (``example_gallery``).

``POSE_DEMO_EXAMPLES_DIR`` replaces downloads by a local folder laid out like the manifest's paths.
Nothing here ever stops the app: an example that is missing, or fails to download or its check, is
logged and left out.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import yaml

from pose_demo.app.language import Localised, localise_examples, ui
from pose_demo.i18n import title_in
from pose_demo.models.registry import RemoteFile
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, ModelStoreError, fetch_file

EXAMPLES_DIR_ENV = "POSE_DEMO_EXAMPLES_DIR"
MANIFEST = Path(__file__).resolve().parents[2] / "assets" / "examples.yaml"
DEFAULT_EXAMPLES_DIR = DEFAULT_DOWNLOAD_DIR / "examples"
KINDS = ("image", "video")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    """One manifest entry. ``path`` is where the file sits, relative to the download or local folder."""

    name: str  # shown in the gallery (English)
    kind: str
    path: str
    url: str
    sha256: str
    zh: str = ""  # the name in Chinese

    def title(self, language: str) -> str:
        """The name shown in ``language``."""
        return title_in({"en": self.name, "zh": self.zh}, language)


def load_manifest(manifest: Path = MANIFEST) -> list[Example]:
    """The manifest's entries; an unreadable manifest, or a bad entry, is logged and skipped."""
    try:
        entries = yaml.safe_load(manifest.read_text(encoding="utf-8"))["examples"]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as e:
        log.warning("No examples: cannot read %s (%s)", manifest, e)
        return []
    examples = []
    for entry in entries:
        try:
            example = Example(**entry)
        except TypeError as e:
            log.warning("Skipped a bad example entry in %s: %s (%s)", manifest, entry, e)
            continue
        if example.kind not in KINDS or Path(example.path).is_absolute() or ".." in Path(example.path).parts:
            log.warning("Skipped example %r in %s: bad kind or path", example.name, manifest)
            continue
        examples.append(example)
    return examples


def fetch_example(example: Example, download_dir: Path = DEFAULT_EXAMPLES_DIR) -> Path | None:
    """The downloaded file of ``example``, downloaded (and checked) first if needed; None if that fails."""
    target = download_dir / example.path
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Fetched into a scratch folder that is always removed, so a failed download leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as scratch:
        try:
            fetch_file(RemoteFile(target.name, example.url, example.sha256), Path(scratch), None)
        except (OSError, ModelStoreError) as e:  # network errors are OSErrors; a bad hash a ModelStoreError
            log.warning("Example %r left out: %s", example.name, e)
            return None
        os.replace(Path(scratch) / target.name, target)
    return target


def resolve_examples(
    kind: str,
    manifest: Path = MANIFEST,
    local_dir: str | os.PathLike[str] | None = None,
    download_dir: Path = DEFAULT_EXAMPLES_DIR,
) -> list[tuple[Example, Path]]:
    """(example, file) of every available example of ``kind`` (image or video), in manifest order.

    ``local_dir`` (default: env ``POSE_DEMO_EXAMPLES_DIR``) is used instead of downloads when set.
    """
    local_dir = local_dir or os.environ.get(EXAMPLES_DIR_ENV)
    found = []
    for example in load_manifest(manifest):
        if example.kind != kind:
            continue
        if local_dir:
            path: Path | None = Path(local_dir) / example.path
            if not path.is_file():
                log.warning("Example %r left out: no file %s", example.name, path)
                path = None
        else:
            path = fetch_example(example, download_dir)
        if path is not None:
            found.append((example, path))
    return found


def example_gallery(
    target: gr.components.Component, examples: list[tuple[Example, Path]], localised: Localised
) -> gr.Examples | None:
    """Named example files that fill ``target`` when clicked, named in the user's language; None when
    there are none (then a line says why, rather than the gallery silently missing)."""
    if not examples:
        gr.Markdown(ui("ui.no_examples"), elem_id="no-examples")
        return None
    gallery = gr.Examples(
        [[str(path)] for _, path in examples],
        inputs=[target],
        example_labels=[example.name for example, _ in examples],
        label=ui("ui.examples"),
    )
    localise_examples(gallery, lambda lang: [e.title(lang) for e, _ in examples], localised)
    return gallery
