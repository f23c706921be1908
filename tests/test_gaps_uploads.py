"""Upload containment (issue 30, gap 4): a folder beside the upload folder whose name starts with the
upload folder's name (``.../gradio-evil`` beside ``.../gradio``) is outside it. A check by string prefix
(``str(path).startswith(str(folder))``) would let its files through."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr
import pytest

from pose_demo.app.uploads import (
    NAME_MAX_BYTES,
    NOT_UPLOADED,
    UploadFolders,
    optional_upload_path,
    upload_name,
    upload_path,
)
from pose_demo.i18n import translate
from tests.conftest import IMAGES

PHOTO = IMAGES / "side_frame_squat_f0030_standing.jpg"


@pytest.mark.parametrize("sibling", ["gradio-evil", "gradio2", "gradio.bak", "gradio evil"])
def test_a_sibling_folder_sharing_the_prefix_is_refused(tmp_path: Path, sibling: str) -> None:
    uploads, outside = tmp_path / "gradio", tmp_path / sibling
    for folder in (uploads, outside):
        folder.mkdir()
        shutil.copy(PHOTO, folder / "photo.jpg")
    allowed = UploadFolders.of(uploads)
    assert upload_path(str(uploads / "photo.jpg"), "image", allowed) == (uploads / "photo.jpg").resolve()
    assert not allowed.holds((outside / "photo.jpg").resolve())
    for payload in (str(outside / "photo.jpg"), {"path": str(outside / "photo.jpg")}):
        with pytest.raises(gr.Error) as refused:
            upload_path(payload, "image", allowed)
        assert refused.value.message == NOT_UPLOADED


def test_the_upload_folder_itself_and_its_parent_are_not_files_inside_it(tmp_path: Path) -> None:
    uploads = tmp_path / "gradio"
    (uploads / "abc").mkdir(parents=True)
    allowed = UploadFolders.of(uploads)
    assert allowed.holds((uploads / "abc" / "photo.jpg").resolve())
    assert not allowed.holds(tmp_path.resolve())
    assert not allowed.holds(Path(str(uploads) + "-evil").resolve())


def test_refusals_are_said_in_the_users_language(tmp_path: Path) -> None:
    allowed = UploadFolders.of(tmp_path)
    outside = str(PHOTO)
    for language in ("en", "zh-CN"):
        with pytest.raises(gr.Error) as refused:
            upload_path(outside, "照片", allowed, language)
        assert refused.value.message == translate("ui.error.not_uploaded", language)
        assert refused.value.title == translate("ui.error.title", language)
        with pytest.raises(gr.Error) as missing:
            upload_path(None, "照片", allowed, language)
        assert missing.value.message == translate("ui.error.no_upload", language, what="照片")
        assert missing.value.title == translate("ui.error.title", language)
    assert translate("ui.error.not_uploaded", "zh-CN") != NOT_UPLOADED


def test_an_optional_upload_is_checked_when_given(tmp_path: Path) -> None:
    shutil.copy(PHOTO, tmp_path / "photo.jpg")
    allowed = UploadFolders.of(tmp_path)
    given = optional_upload_path({"path": str(tmp_path / "photo.jpg")}, "rule file", allowed)
    assert given == str((tmp_path / "photo.jpg").resolve())
    assert optional_upload_path(None, "rule file", allowed) is None
    assert optional_upload_path("", "rule file", allowed) is None
    with pytest.raises(gr.Error) as refused:
        optional_upload_path(str(PHOTO), "rule file", allowed, "zh-CN")
    assert refused.value.message == translate("ui.error.not_uploaded", "zh-CN")


def test_a_long_name_is_cut_between_characters() -> None:
    """60 bytes of "a" + 30 three-byte characters end inside the 20th character: it is left out whole."""
    name = upload_name({"path": "/tmp/gradio/x/a.jpg", "orig_name": "a" + "人" * 30 + ".jpg"})
    assert name == "a" + "人" * 19
    assert len(name.encode()) == 58 <= NAME_MAX_BYTES
    # the cut leaves "x" and 58 underscores: the underscores left at the end are taken off
    assert upload_name({"path": "/tmp/gradio/x/a.jpg", "orig_name": "x" + "_" * 58 + "人.jpg"}) == "x"
    # leading underscores are taken off before the cut: they do not use up the 60 bytes
    assert (
        upload_name({"path": "/tmp/gradio/x/a.jpg", "orig_name": "_" * 10 + "人" * 20 + ".jpg"}) == "人" * 20
    )
    assert upload_name("X-ray_X.jpg") == "X-ray_X"  # only underscores are taken off the ends
