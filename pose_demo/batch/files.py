"""Atomic files: written under a hidden temporary name beside the target and renamed when complete, so a
killed run never leaves a half-written file that looks done (readers skip names starting with ".")."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".tmp-"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write instead of ``path`` (same folder and suffix, so writers that go by the
    suffix still work); renamed to ``path`` when the block ends, removed if it raises."""
    temp = temp_path(path)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def temp_path(path: Path) -> Path:
    """A new hidden temporary name for ``path``, in its folder (created), with its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.stem}{TEMP_MARK}{uuid.uuid4().hex[:8]}{path.suffix}")


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")


def remove_leftovers(folder: Path) -> int:
    """Delete the temporary files a killed run left under ``folder``; how many."""
    leftovers = [p for p in folder.rglob(f".*{TEMP_MARK}*") if p.is_file()] if folder.is_dir() else []
    for p in leftovers:
        p.unlink(missing_ok=True)
    return len(leftovers)
