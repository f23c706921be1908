"""The message catalog: ``translate(key, language, **params)`` and the user's language.

Keys are flat dotted names (``image.empty``); texts are ``str.format`` templates whose ``{name}``
parameters are filled in the user's language (a parameter that is itself a ``Message`` or a
``UserError`` is translated too). English is complete by construction; a key missing in another
language falls back to English (``tests/test_i18n.py`` fails when one is missing)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
LANGUAGE_VARIABLE = "POSE_DEMO_LANG"
FOLDER = Path(__file__).parent


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice (YAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"keys given twice: {', '.join(map(str, twice))}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


@cache
def catalog(language: str) -> dict[str, str]:
    """The texts of one language, by key (read once)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for {language!r}: one of {', '.join(LANGUAGES)}")
    data = yaml.load((FOLDER / f"{language}.yaml").read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{language}.yaml must map each key to one text")
    return data


def translate(key: str, /, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The text of ``key`` in ``language`` (English when that language lacks it), parameters filled in."""
    texts = catalog(language) if language in LANGUAGES else catalog(DEFAULT_LANGUAGE)
    template = texts.get(key) or catalog(DEFAULT_LANGUAGE)[key]
    return template.format(**{name: _in(value, language) for name, value in params.items()})


def plural(key: str, count: int, language: str = DEFAULT_LANGUAGE) -> str:
    """``count`` with its noun: ``key.one`` for one, ``key.other`` for the others (``{n} persons``)."""
    return translate(f"{key}.{'one' if count == 1 else 'other'}", language, n=count)


def _in(value: Any, language: str) -> Any:
    if isinstance(value, Message):
        return value.text(language)
    if isinstance(value, UserError):
        return value.text(language)
    return value


@dataclass(frozen=True)
class Message:
    """A catalog key with its parameters, translated when it is shown."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in catalog(DEFAULT_LANGUAGE):
            raise KeyError(f"{self.key!r} is not in the message catalog (pose_demo/i18n/en.yaml)")

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        return translate(self.key, language, **self.params)

    def __str__(self) -> str:
        return self.text()


class UserError(Exception):
    """An error the user can fix. It is raised with a catalog key and parameters:
    ``str(error)`` is the English text, ``error.text(language)`` the text in the user's language."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.message = Message(key, params)
        super().__init__(self.message.text())

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        return self.message.text(language)


def _match(tag: str) -> str | None:
    """The catalog language for one language tag (``zh``, ``zh-Hans-CN``, ``zh_CN.UTF-8`` -> zh-CN)."""
    base = tag.strip().replace("_", "-").split(".")[0].lower()
    if base.startswith("zh"):
        return "zh-CN"
    if base.startswith("en"):
        return "en"
    return None


def language_from_header(accept_language: str | None) -> str:
    """The catalog language a browser asks for in its ``Accept-Language`` header (by its q weights);
    English when it asks for none of ours."""
    weighted = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if (language := _match(tag)) is not None and weight > 0:
            weighted.append((-weight, i, language))
    return min(weighted)[2] if weighted else DEFAULT_LANGUAGE


def default_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of the CLI and library: ``POSE_DEMO_LANG``, else the locale (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``), else English."""
    for name in (LANGUAGE_VARIABLE, "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return _match(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def title_in(title: Mapping[str, str], language: str) -> str:
    """A bilingual title of the rule and exercise catalogs (keys ``en`` and ``zh``) in ``language``."""
    return (title.get("zh") if language == "zh-CN" else None) or title["en"]
