"""Matplotlib text in the user's language: Chinese needs a CJK font (``pose_demo.i18n.fonts``).

``plot_language(language)`` is the language a plot is drawn in: ``language``, or English when it needs a
CJK font and none is installed (the same font, and the same one log line, as text on images:
``visualization.text.cjk_font``; one installed later is used without a restart). ``plot_fonts(language)``
puts that font first for the texts created in its block only: no global matplotlib setting changes. A text
keeps the font it was created with, so a figure built in the block can be drawn after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from pose_demo.visualization.text import cjk_font


@cache
def _family(path: Path) -> str:
    """The family name of the CJK font file, registered with matplotlib once."""
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def cjk_family() -> str | None:
    """The matplotlib family name of the CJK font, or None when there is none."""
    path = cjk_font()
    return None if path is None else _family(path)


def plot_language(language: str) -> str:
    """The language plots are labelled in: ``language``, or English when it needs a missing CJK font."""
    return language if language == "en" or cjk_family() is not None else "en"


@contextmanager
def plot_fonts(language: str) -> Iterator[None]:
    """Within the block, texts use the CJK font first (then matplotlib's default sans-serif) when
    ``language`` is not English and such a font exists; otherwise matplotlib's defaults."""
    family = None if language == "en" else cjk_family()
    settings = {} if family is None else {"font.family": [family, "sans-serif"]}
    with matplotlib.rc_context(settings):
        yield
