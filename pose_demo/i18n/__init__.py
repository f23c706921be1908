"""Every text a user reads, in English and Simplified Chinese: one catalog file per language
(``en.yaml``, ``zh-CN.yaml``), messages with parameters, the user's language from the browser or the
environment, and ``UserError``, the base of the library's errors a user can fix."""

from pose_demo.i18n.catalog import (
    LANGUAGES,
    Message,
    UserError,
    catalog,
    default_language,
    language_from_header,
    plural,
    title_in,
    translate,
)

__all__ = [
    "LANGUAGES",
    "Message",
    "UserError",
    "catalog",
    "default_language",
    "language_from_header",
    "plural",
    "title_in",
    "translate",
]
