"""Scratch folders for the files the app hands to Gradio (JSON, CSV, videos), removed after a while.

Gradio copies every returned file into its own cache, so ours are needed only briefly; folders older
than ``max_age_s`` are removed whenever a new one is made, which bounds the disk a long-running
server uses.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path


class OutputFolders:
    def __init__(self, root: Path | None = None, max_age_s: float = 3600.0) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="pose-demo-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_age_s = max_age_s

    def new(self) -> Path:
        """A new empty folder (after removing the expired ones)."""
        now = time.time()
        for folder in self.root.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another request may be removing it too
                if now - folder.stat().st_mtime > self.max_age_s:
                    shutil.rmtree(folder, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self.root))
