"""Scratch folders for the files the app hands to Gradio (images, JSON, CSV, videos): bounded, and removed
when the app stops.

Gradio copies every returned file into its own cache as soon as a handler returns, so ours are needed
only briefly. Each run keeps them under one root, ``<system temp>/pose-demo-<pid>-<random>``:

- whenever a new folder is made, folders unused for ``MAX_AGE_S`` are removed, then the oldest ones
  until all of them hold at most ``MAX_TOTAL_BYTES``; a folder used in the last ``MIN_AGE_S`` is never
  removed (a video may still be being written there, or Gradio copying from it);
- ``close()`` removes the root (the app calls it at shutdown, and at exit as a last resort);
- at start, roots of runs whose process has ended (killed, crashed) are removed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAX_AGE_S = 3600.0  # a folder unused this long is removed
MAX_TOTAL_BYTES = 500 * 1024 * 1024  # beyond this, the least recently used folders are removed
MIN_AGE_S = 60.0  # a folder used this recently is kept, whatever its size
PREFIX = "pose-demo-"
_ROOT_NAME = re.compile(r"pose-demo-(\d+)-\w+")  # pose-demo-<pid>-<random>
_LEGACY_NAME = re.compile(r"pose-demo-[a-z0-9_]+")  # pose-demo-<random>: versions that did not name the pid
_OWN_ROOTS: set[Path] = set()  # the roots made by this process


@dataclass(frozen=True)
class _Usage:
    folder: Path
    last_used: float  # the latest modification time of the folder or any file in it
    size: int  # bytes


def _usage(folder: Path) -> _Usage:
    last_used, size = folder.stat().st_mtime, 0
    for path in folder.rglob("*"):
        with contextlib.suppress(FileNotFoundError):
            info = path.stat()
            last_used = max(last_used, info.st_mtime)
            size += info.st_size if path.is_file() else 0
    return _Usage(folder, last_used, size)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_roots(temp_dir: Path | None = None, max_age_s: float = MAX_AGE_S) -> list[Path]:
    """Remove the roots left in ``temp_dir`` by runs whose process has ended; return them.

    A root named by an earlier version (no pid) is removed once unused for ``max_age_s``. A root named
    with this process's pid, but not made by it, is a past run's (pids are reused, e.g. pid 1 in containers).
    """
    temp_dir = Path(temp_dir or tempfile.gettempdir())
    removed = []
    for folder in temp_dir.glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            if not folder.is_dir() or folder.is_symlink() or folder.resolve() in _OWN_ROOTS:
                continue
            if match := _ROOT_NAME.fullmatch(folder.name):
                pid = int(match[1])
                stale = pid == os.getpid() or not _process_exists(pid)
            else:
                stale = bool(_LEGACY_NAME.fullmatch(folder.name)) and (
                    time.time() - _usage(folder).last_used > max_age_s
                )
            if stale:
                shutil.rmtree(folder)
                removed.append(folder)
    return removed


class OutputFolders:
    """Folders under one root for the files of each request. Without a ``root``, a new one is made in
    ``temp_dir`` (default: the system's), after removing the roots of ended runs there."""

    def __init__(
        self,
        root: Path | None = None,
        max_age_s: float = MAX_AGE_S,
        max_bytes: int = MAX_TOTAL_BYTES,
        min_age_s: float = MIN_AGE_S,
        temp_dir: Path | None = None,
    ) -> None:
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.min_age_s = min_age_s
        self.owns_root = root is None
        if root is None:
            remove_stale_roots(temp_dir, max_age_s)
            self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=temp_dir))
            _OWN_ROOTS.add(self.root.resolve())
            atexit.register(self.close)
        else:
            self.root = Path(root)
            self.root.mkdir(parents=True, exist_ok=True)

    def new(self) -> Path:
        """A new empty folder (after removing the expired ones, and the oldest ones over the size cap)."""
        self.prune()
        return Path(tempfile.mkdtemp(dir=self.root))

    def prune(self) -> None:
        """Remove folders unused for ``max_age_s``, then the least recently used until the rest hold at
        most ``max_bytes``; never one used in the last ``min_age_s``."""
        now = time.time()
        usages = []
        for folder in self.root.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another request may be removing it too
                usages.append(_usage(folder))
        total = sum(u.size for u in usages)
        for usage in sorted(usages, key=lambda u: u.last_used):
            age = now - usage.last_used
            if age < self.min_age_s or (age <= self.max_age_s and total <= self.max_bytes):
                continue
            shutil.rmtree(usage.folder, ignore_errors=True)
            total -= usage.size

    def close(self) -> None:
        """Remove every folder, and the root when it was made here. Safe to call more than once."""
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)
        elif self.root.is_dir():
            for folder in self.root.iterdir():
                shutil.rmtree(folder, ignore_errors=True)
