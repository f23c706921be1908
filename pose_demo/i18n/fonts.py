"""Finding a font with CJK glyphs, for text drawn on images and in plots.

Looked up in this order: the file named by ``POSE_DEMO_FONT``; fontconfig's best font for Chinese
(``fc-match :lang=zh-cn``, e.g. Debian's ``fonts-noto-cjk`` or ``fonts-wqy-microhei``, which
``packages.txt`` installs on Hugging Face Spaces); a few well-known paths. ``None`` when there is none:
then callers draw English text (and say so once).

A font found is remembered; "none" is not, for longer than ``RETRY_S``: a font installed while the app runs
is used from then on, without a restart (and one uninstalled is looked for again)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

FONT_VARIABLE = "POSE_DEMO_FONT"
RETRY_S = 10.0  # no font found: looked for again after this long (fc-match costs ~20 ms, drawings are many)
KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
)


def _fontconfig_match() -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(
            [fc_match, "--format=%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    # fontconfig falls back to any font (DejaVu) when nothing covers Chinese: check it claims zh-cn
    if found and _covers_chinese(fc_match, found):
        return Path(found)
    return None


def _covers_chinese(fc_match: str, file: str) -> bool:
    langs = subprocess.run(
        [fc_match, "--format=%{lang}", f":file={file}"], capture_output=True, text=True, timeout=10
    ).stdout
    return "zh-cn" in langs.split("|")


_found: dict[str | None, Path] = {}  # by the value of POSE_DEMO_FONT
_missed: dict[str | None, float] = {}  # when it was last looked for in vain (time.monotonic)
_lock = threading.Lock()


def _lookup(configured: str | None) -> Path | None:
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    found = _fontconfig_match()
    if found is not None:
        return found
    return next((Path(p) for p in KNOWN_FONTS if Path(p).is_file()), None)


def cjk_font_path(environ: Mapping[str, str] = os.environ) -> Path | None:
    """A font file with Chinese glyphs, or ``None`` (see the module's docstring for the order)."""
    configured = environ.get(FONT_VARIABLE) or None
    with _lock:
        found = _found.get(configured)
        if found is not None and found.is_file():
            return found
        _found.pop(configured, None)
        missed = _missed.get(configured)
        if missed is not None and time.monotonic() - missed < RETRY_S:
            return None
    found = _lookup(configured)
    with _lock:
        if found is None:
            _missed[configured] = time.monotonic()
        else:
            _found[configured] = found
            _missed.pop(configured, None)
    return found


def forget_fonts() -> None:
    """Look every font up again at the next call (tests; a font installed or removed just now)."""
    with _lock:
        _found.clear()
        _missed.clear()
