"""The message catalogs (en, zh-CN), the library's user errors going through them, and the CLI's --lang."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from pose_demo import load_image
from pose_demo.i18n import catalog, default_language, language_from_header, translate
from pose_demo.image_input import ImageInputError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "pose_demo").rglob("*.py"))
CJK = re.compile(r"[\u4e00-\u9fff]")
SAME_IN_BOTH = {"F1"}  # texts written alike in Chinese (names of metrics)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _letters_outside_fields(text: str) -> bool:
    return any(c.isalpha() for literal, *_ in string.Formatter().parse(text) for c in literal)


def test_catalogs_have_the_same_keys():
    en, zh = catalog("en"), catalog("zh-CN")
    assert sorted(set(en) - set(zh)) == []
    assert sorted(set(zh) - set(en)) == []


def test_texts_have_the_same_parameters_in_both_languages():
    en, zh = catalog("en"), catalog("zh-CN")
    differ = {key: (_fields(en[key]), _fields(zh[key])) for key in en if _fields(en[key]) != _fields(zh[key])}
    assert differ == {}
    # translate(key, language, **params) and UserError(key, **params) take these names themselves
    clashes = [key for key, text in en.items() if _fields(text) & {"key", "language"}]
    assert clashes == []


def test_chinese_texts_are_translated():
    en, zh = catalog("en"), catalog("zh-CN")
    untranslated = [
        key
        for key in en
        if zh[key] == en[key] and _letters_outside_fields(en[key]) and en[key] not in SAME_IN_BOTH
    ]
    assert untranslated == []
    assert CJK.search(zh["error.image.unreadable"])


def _user_error_classes(trees: dict[Path, ast.Module]) -> dict[str, ast.ClassDef]:
    """The classes in pose_demo that derive from UserError (by their bases' names), by name."""
    defined = [node for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    bases = {
        node.name: {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
        for node in defined
    }
    found = {"UserError"}
    while grown := {name for name, parents in bases.items() if parents & found} - found:
        found |= grown
    return {node.name: node for node in defined if node.name in found - {"UserError"}}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _names_a_key(call: ast.Call, keys: set[str]) -> bool:
    """The call's first argument is a literal key of the catalog, or ``e.message.key``: another
    UserError's message raised again as this error (its params follow)."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant):
        return first.value in keys
    return (
        isinstance(first, ast.Attribute)
        and first.attr == "key"
        and getattr(first.value, "attr", "") == "message"
    )


def test_every_user_error_raised_in_the_library_names_a_catalog_key():
    """No message bypasses the catalog: ``raise SomeUserError("key", ...)`` with a literal key of en.yaml
    (a class with its own ``__init__`` passes its key to ``super().__init__``, checked there)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    classes = _user_error_classes(trees)
    assert {"ImageInputError", "RuleError", "ExerciseError", "OptionError", "ModelNotFoundError"} <= set(
        classes
    )
    keys = set(catalog("en"))
    own_init = {
        name: [n for n in ast.walk(node) if isinstance(n, ast.Call) and _called_name(n) == "__init__"]
        for name, node in classes.items()
        if any(isinstance(n, ast.FunctionDef) and n.name == "__init__" for n in node.body)
    }
    bad = [
        name for name, calls in own_init.items() if not calls or not all(_names_a_key(c, keys) for c in calls)
    ]
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = _called_name(node.exc)
            if name in classes and name not in own_init and not _names_a_key(node.exc, keys):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bad == []


def test_every_error_key_written_in_the_library_is_in_the_catalog():
    """Keys given to Message, error factories and helpers (``where.error(field, "error.rule...")``)."""
    keys = set(catalog("en"))
    written = {
        (path.relative_to(ROOT), node.value)
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if re.fullmatch(r"error(\.[a-z0-9_]+)+", node.value)
    }
    assert len(written) > 150
    assert sorted(str(w) for w in written if w[1] not in keys) == []


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("POSE_DEMO_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
    }
    return subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", *args],
        capture_output=True,
        text=True,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def not_a_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("i18n") / "notes.mp4"
    path.write_text("these are my training notes, not a video\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "env", "language"),
    [
        (["--lang", "zh-CN"], {}, "zh-CN"),
        (["--lang", "zh"], {"LANG": "en_US.UTF-8"}, "zh-CN"),
        ([], {"POSE_DEMO_LANG": "zh"}, "zh-CN"),
        ([], {"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ([], {"LANG": "C"}, "en"),
        (["--lang", "en"], {"POSE_DEMO_LANG": "zh"}, "en"),
    ],
)
def test_cli_prints_errors_in_the_chosen_language(not_a_video, args, env, language):
    done = _cli([*args, "video", str(not_a_video)], **env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"error: {translate('error.video.unreadable', language)}"
    assert bool(CJK.search(done.stderr)) == (language == "zh-CN")
    assert "Traceback" not in done.stderr


def test_cli_infer_reports_a_file_that_is_no_image_in_chinese(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("not an image", encoding="utf-8")
    done = _cli(["--lang", "zh-CN", "infer", str(note), "--out", str(tmp_path / "out")])
    assert done.returncode == 1
    assert f"skipped {note}: {translate('error.image.unreadable', 'zh-CN')}" in done.stdout + done.stderr


def test_cli_refuses_an_unknown_language():
    done = _cli(["--lang", "fr", "rules"])
    assert done.returncode == 2
    assert "invalid choice: 'fr'" in done.stderr


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,zh-TW;q=0.5", "zh-CN"),
        ("en;q=0.3, zh-Hans-CN;q=0.7", "zh-CN"),
        ("zh;q=0, en", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_from_header(header, language):
    assert language_from_header(header) == language


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"POSE_DEMO_LANG": "zh"}, "zh-CN"),
        ({"POSE_DEMO_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh-CN"),
        ({"LC_MESSAGES": "zh_TW", "LANG": "C"}, "zh-CN"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
    ],
)
def test_default_language(environ, language):
    assert default_language(environ) == language


def test_a_library_error_is_english_by_default_and_chinese_on_request():
    with pytest.raises(ImageInputError) as caught:
        load_image(b"not an image")
    error = caught.value
    assert isinstance(error, ValueError)  # callers catching ValueError still catch it
    assert str(error).startswith("This file is not an image that can be read")
    assert error.text() == str(error)
    chinese = error.text("zh-CN")
    assert chinese == translate("error.image.unreadable", "zh-CN") and CJK.search(chinese)


def test_parameters_that_are_messages_are_translated_too():
    """A rule file mistake: the file and field around the problem, all in one language."""
    from pose_demo.rules.schema import RuleError, parse_rules

    rules = {"rules": [{"id": "arms_up", "title": {"en": "Arms up"}, "kind": "screening", "view": "top"}]}
    with pytest.raises(RuleError) as caught:
        parse_rules(rules, "my_rules.yaml")
    english, chinese = str(caught.value), caught.value.text("zh-CN")
    assert english == (
        "my_rules.yaml: rule 'arms_up', field 'view': The view 'top' is not available: "
        "choose one of front, side, any."
    )
    assert chinese.startswith("my_rules.yaml：规则 'arms_up'，字段 'view'：")
    assert "front, side, any" in chinese and not re.search(r"[A-Za-z]{4,} [a-z]{3,}", chinese)
