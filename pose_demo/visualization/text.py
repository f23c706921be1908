"""Sizes and text on images: one drawing scale for every line and label, one helper for every label
(box scores, track ids, repetition counters, rule verdicts), in English or Chinese.

Text is drawn with TrueType fonts through Pillow: DejaVu Sans (shipped with matplotlib) for Latin text,
the CJK font of ``pose_demo.i18n.fonts`` for text with Chinese characters. Each distinct label (text,
size, colours) is rendered once into a small opaque patch (cached) that is copied into the BGR image:
the frame itself is never converted. ``text_language(language)`` is the language labels are drawn in:
English when Chinese needs a CJK font and none is installed (said once in the log), never boxes.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache, lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pose_demo.i18n.fonts import FONT_VARIABLE, cjk_font_path

logger = logging.getLogger(__name__)

LATIN_FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
LABEL_BACKGROUND = (30, 30, 30)
PIXELS_PER_SIZE = 30  # the font's em in pixels at text size 1 (as tall as OpenCV's Hershey text was)
MIN_PIXELS = 8
ASCENT, DESCENT = 0.92, 0.24  # every label's box above and below the baseline, in ems, whatever its text
MISSING = "\u0378"  # an unassigned code point: every font draws its "missing glyph" box for it
CACHED_LABELS = 4096
MAX_FACES = 10  # faces of a font collection looked through for the Simplified Chinese one
INSTALL_HINT = "install one with `apt-get install fonts-noto-cjk` or `apt-get install fonts-wqy-microhei`"

Color = tuple[int, int, int]


def image_scale(image: np.ndarray) -> float:
    """Drawing scale: 1.0 for an image 1000 px on its long side, never below 0.4. Line widths and text
    sizes are multiples of it, so drawings read alike at any image size."""
    return max(max(image.shape[:2]) / 1000.0, 0.4)


def text_thickness(size: float) -> int:
    """A line width that goes with text of ``size`` (the joint-angle arcs)."""
    return max(1, round(2 * size))


def label_pad(size: float) -> int:
    """The margin between a label's text and the edge of its box."""
    return max(1, round(3 * size))


def font_pixels(size: float) -> int:
    """The font size (its em, in pixels) of text drawn at ``size``."""
    return max(MIN_PIXELS, round(PIXELS_PER_SIZE * size))


@lru_cache(maxsize=64)
def _font(path: Path, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(path), pixels, index=_simplified_face(path), layout_engine=ImageFont.Layout.BASIC
    )


@cache
def _simplified_face(path: Path) -> int:
    """The face of a font collection drawn with: its Simplified Chinese one where it has several (Noto
    Sans CJK's .ttc starts with the Japanese forms of the same characters), else the first."""
    for index in range(MAX_FACES):
        try:
            family = ImageFont.truetype(str(path), 10, index=index).getname()[0] or ""
        except OSError:  # no such face
            break
        if family.endswith(" SC"):
            return index
    return 0


@lru_cache(maxsize=16)
def _has_chinese(path: Path) -> bool:
    """Whether the font draws Chinese characters, not its missing-glyph box."""
    font = _font(path, 32)
    return any(
        np.asarray(font.getmask(c)).tobytes() != np.asarray(font.getmask(MISSING)).tobytes() for c in "中文"
    )


_warned: set[str | None] = set()  # the values of POSE_DEMO_FONT already said to give no CJK font
_warned_lock = threading.Lock()


def _usable_cjk_font(configured: str | None) -> Path | None:
    """The CJK font found for ``POSE_DEMO_FONT=configured`` when it has Chinese characters; else None,
    said once in the log (again only after a font was found meanwhile). Not remembered when missing: a
    font installed later is found (``pose_demo.i18n.fonts``)."""
    path = cjk_font_path({FONT_VARIABLE: configured} if configured else {})
    if path is not None and _has_chinese(path):
        with _warned_lock:
            _warned.discard(configured)
        return path
    with _warned_lock:
        if configured in _warned:
            return None
        _warned.add(configured)
    if configured:
        logger.warning(
            "Text in pictures and plots is drawn in English: %s=%s is not a font file with Chinese "
            "characters (set it to one, or %s).",
            FONT_VARIABLE,
            configured,
            INSTALL_HINT,
        )
    else:
        logger.warning(
            "Text in pictures and plots is drawn in English: no font with Chinese characters was found (%s, "
            "or set %s to a font file); one installed later is used without a restart.",
            INSTALL_HINT,
            FONT_VARIABLE,
        )
    return None


def cjk_font() -> Path | None:
    """The font file for Chinese text on images and in plots (``pose_demo.i18n.fonts.cjk_font_path``,
    checked to have Chinese characters), or None."""
    return _usable_cjk_font(os.environ.get(FONT_VARIABLE) or None)


def text_language(language: str) -> str:
    """The language text on images is drawn in: ``language``, or English when it needs a CJK font and
    there is none."""
    return language if language == "en" or cjk_font() is not None else "en"


def _needs_cjk(text: str) -> bool:
    # CJK radicals, punctuation, ideographs, full-width forms
    return not text.isascii() and any(ord(c) >= 0x2E80 for c in text)


def _font_file(text: str) -> Path:
    if not _needs_cjk(text):
        return LATIN_FONT
    path = cjk_font()
    if path is None:
        raise ValueError(f"No font with Chinese characters to draw {text!r}: draw it in text_language(...).")
    return path


def text_size(text: str, size: float) -> tuple[int, int, int]:
    """The width, the height above the baseline and the depth below it of ``text`` drawn at ``size``
    (like ``cv2.getTextSize``); the two heights depend on the size only, so labels line up."""
    ascent, descent = _heights(font_pixels(size))
    return _mask(text, _font_file(text), font_pixels(size)).shape[1], ascent, descent


def _heights(pixels: int) -> tuple[int, int]:
    return round(ASCENT * pixels), round(DESCENT * pixels)


@lru_cache(maxsize=CACHED_LABELS)
def _mask(text: str, font_file: Path, pixels: int) -> np.ndarray:
    """The text's coverage (0-255), as wide as the text and as tall as ``_heights(pixels)``."""
    font = _font(font_file, pixels)
    ascent, descent = _heights(pixels)
    left, _, right, _ = font.getbbox(text, anchor="ls") if text else (0, 0, 0, 0)
    width = max(1, int(np.ceil(max(right, font.getlength(text)))) - min(0, left))
    canvas = Image.new("L", (width, ascent + descent))
    ImageDraw.Draw(canvas).text((-min(0, left), ascent), text, fill=255, font=font, anchor="ls")
    return np.asarray(canvas)


def label_patch(text: str, size: float, color: Color, background: Color) -> np.ndarray:
    """A label as BGR pixels: ``text`` in ``color`` on a box filled with ``background``, ``label_pad``
    around it and one more pixel right and below (the size of ``labels.label_rect``). Read-only."""
    return _patch(text, _font_file(text), font_pixels(size), label_pad(size), color, background)


@lru_cache(maxsize=CACHED_LABELS)
def _patch(text: str, font_file: Path, pixels: int, pad: int, color: Color, background: Color) -> np.ndarray:
    mask = _mask(text, font_file, pixels)
    h, w = mask.shape
    alpha = np.zeros((h + 2 * pad + 1, w + 2 * pad + 1, 1), np.float32)
    alpha[pad : pad + h, pad : pad + w, 0] = mask / 255.0
    patch = np.array(background, np.float32) * (1 - alpha) + np.array(color, np.float32) * alpha
    patch = np.round(patch).astype(np.uint8)
    patch.flags.writeable = False
    return patch


def text_origin(
    x: float, y: float, metrics: tuple[int, int, int, int], image_size: tuple[int, int]
) -> tuple[int, int]:
    """Where a label's text starts (its bottom-left corner), near (x, y) but with the label's box inside
    the image, for ``metrics`` (text width, height, depth below the baseline, padding) and ``image_size``
    (width, height)."""
    w, h, baseline, pad = metrics
    x = min(max(x, pad), max(pad, image_size[0] - w - pad))
    y = min(max(y, h + pad), max(h + pad, image_size[1] - baseline - pad))
    return int(x), int(y)


def paste(image: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    """Copy ``patch`` into ``image`` with its top-left corner at (x, y), in place, cut at the edges."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + patch.shape[1], w), min(y + patch.shape[0], h)
    if x1 < x2 and y1 < y2:
        image[y1:y2, x1:x2] = patch[y1 - y : y2 - y, x1 - x : x2 - x]


def put_label(
    image: np.ndarray,
    text: str,
    x: float,
    y: float,
    color: Color,
    size: float,
    background: Color = LABEL_BACKGROUND,
) -> None:
    """Text in ``color`` with its bottom-left corner near (x, y) on a filled box, kept inside the image."""
    w, h, baseline = text_size(text, size)
    pad = label_pad(size)
    x, y = text_origin(x, y, (w, h, baseline, pad), (image.shape[1], image.shape[0]))
    paste(image, label_patch(text, size, color, background), x - pad, y - h - pad)
