"""Command line: ``python -m pose_demo.cli [--lang {en,zh-CN,zh}] COMMAND ...`` (``--help`` on each).
One module per command group; the shared flags are in ``common``. Errors a user can fix are printed in
the chosen language (default: POSE_DEMO_LANG, else the locale, else English)."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from pose_demo.cli import batch, bench, compare, images, learn, quantize, reps, rules, video
from pose_demo.i18n import LANGUAGES, UserError, default_language, translate

SHORT_LANGUAGES = {"zh": "zh-CN"}  # --lang values that stand for a catalog language


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pose_demo.cli", description=__doc__)
    parser.add_argument(
        "--lang",
        type=lambda text: SHORT_LANGUAGES.get(text, text),
        choices=LANGUAGES,
        default=default_language(),
        metavar="{" + ",".join([*LANGUAGES, *SHORT_LANGUAGES]) + "}",
        help="language of messages, of labels drawn on images and videos, and of reports "
        "(default: POSE_DEMO_LANG, else the locale, else en)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (images, rules, video, reps, compare, learn, batch, bench, quantize):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:  # written for the user: one line, exit status 2, no traceback
        print(f"error: {e.text(args.lang)}", file=sys.stderr)
        return 2
    except OSError as e:  # a file that cannot be read or written: one line too, never a traceback
        print(f"error: {os_error_text(e, args.lang)}", file=sys.stderr)
        return 2


def os_error_text(error: OSError, language: str) -> str:
    """What went wrong with a file, in ``language``: missing, a folder, no permission, read-only, I/O."""
    key = {
        errno.ENOENT: "error.os.missing",
        errno.ENOTDIR: "error.os.not_a_folder",
        errno.EISDIR: "error.os.is_a_folder",
        errno.EACCES: "error.os.permission",
        errno.EPERM: "error.os.permission",
        errno.EROFS: "error.os.read_only",
        errno.ENOSPC: "error.os.no_space",
    }.get(error.errno or 0, "error.os.io")
    name = (
        os.fsdecode(error.filename) if error.filename is not None else translate("error.os.a_file", language)
    )
    return translate(key, language, file=name)
