"""The Compare and Teach tabs in Chinese (issue 18): their handlers answer a browser that asks for
Simplified Chinese (its ``Accept-Language``) with Chinese summaries, table headers, statuses and errors, and
one that asks for nothing with the English of before; the live ``/compare`` endpoint does the same for a
client sending the header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from pose_demo.app.compare_tab import DIFFERENCE_COLUMNS, CompareTab, MotionCache
from pose_demo.app.core import PoseApp
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import SessionClassifiers
from pose_demo.app.teach_tab import CLASS_COLUMNS, Teacher
from pose_demo.app.uploads import UploadFolders
from pose_demo.i18n import translate
from pose_demo.rules import RuleSet
from tests.conftest import DATA_DIR, IMAGES, MODEL_DIR, VIDEOS
from tests.test_app import running_app

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DEEP_SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"
ARMS_DOWN = IMAGES / "front_frame_lateral_raise_f0000_arms_down.jpg"
ARMS_UP = IMAGES / "front_frame_lateral_raise_f0323_arms_up.jpg"
SQUAT = VIDEOS / "squat_side_view.mp4"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ZH = gr.Request(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})  # as Chromium with --lang=zh-CN


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    uploads = UploadFolders.of(DATA_DIR)  # in-process, the shared media as if uploaded
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)


def test_compare_in_chinese(app: PoseApp) -> None:
    tab = CompareTab(app, MotionCache())
    photos = {"path": str(STANDING)}, {"path": str(DEEP_SQUAT)}
    _, picture, summary, table, _, _ = tab.compare(*photos, request=ZH)
    assert Path(picture).is_file()
    assert summary.startswith("## 得分 ")
    assert list(table.columns) == [
        "角度",
        "运动员时刻（秒）",
        "参考时刻（秒）",
        "参考（°）",
        "运动员（°）",
        "差值（°）",
        "说明",
    ]
    assert "左膝" in table["角度"].tolist() or "右膝" in table["角度"].tolist()
    assert all(CHINESE.search(words) for words in table["说明"])
    # Compared again: what was not analysed again, in Chinese.
    summary = tab.compare(*photos, request=ZH)[2]
    reused = "沿用已有结果，未重新分析：参考的姿态（之前比较时已找出）、运动员的姿态（之前比较时已找出）。"
    assert reused in summary
    # No language asked for (API clients): English, as before.
    _, _, summary, table, _, _ = tab.compare(*photos)
    assert summary.startswith("## Score ") and list(table.columns) == DIFFERENCE_COLUMNS
    # A photo against a video: the tab's own error, in Chinese.
    with pytest.raises(gr.Error) as error:
        tab.compare(photos[0], {"path": str(SQUAT)}, request=ZH)
    assert error.value.message == "请比较两段视频或两张照片，不要一段视频配一张照片。"
    with pytest.raises(gr.Error) as error:
        tab.compare(photos[0], photos[1], tolerance=90, request=ZH)
    assert "容差" in error.value.message and CHINESE.search(error.value.message.replace("容差", ""))


def test_teach_in_chinese(app: PoseApp) -> None:
    teacher = Teacher(app)
    summary, table, _, _, taught, session, _, _ = teacher.train(
        None,
        None,
        request=ZH,
        class_1="down",
        photos_1=[str(STANDING), str(ARMS_DOWN)],
        class_2="up",
        photos_2=[str(DEEP_SQUAT), str(ARMS_UP)],
    )
    assert summary.startswith("### ") and CHINESE.search(summary.splitlines()[0])
    assert list(table.columns) == ["类别", "示例数", "精确率", "召回率", "F1"] != CLASS_COLUMNS
    assert table["类别"].tolist() == ["down", "up"]
    session, status = teacher.use(taught, "up", 0.5, session, request=ZH)
    assert status.startswith("已在本次会话的") and "**示教：up**" in status
    assert [r.title for r in session.rules] == [{"en": "Taught: up", "zh": "示教：up"}]
    assert teacher.stop(session, request=ZH)[1] == "没有正在生效的示教规则。"
    # The library's errors and the tab's own, in Chinese.
    cases = [
        ({"class_1": "deep"}, translate("ui.teach.error.two_classes", "zh-CN")),
        ({"class_1": "深/蹲", "class_2": "站立"}, "类别 1"),  # Chinese names are fine, "/" is not
    ]
    for values, message in cases:
        with pytest.raises(gr.Error) as error:
            teacher.train(None, None, request=ZH, **values)
        assert message in error.value.message and CHINESE.search(error.value.message)
    with pytest.raises(gr.Error) as error:
        teacher.use(None, "up", 0.5, SessionClassifiers(), request=ZH)
    assert error.value.message == "还没有模型：请先训练一个，或载入已保存的模型。"
    with pytest.raises(gr.Error) as error:
        teacher.preview({"path": str(SQUAT)}, [["1", "3", "a"], ["2", "4", "b"]], request=ZH)
    assert "时间段表格" in error.value.message and CHINESE.search(error.value.message)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


def test_compare_endpoint_answers_in_the_language_asked_for(app_url: str) -> None:
    files = handle_file(str(STANDING)), handle_file(str(SQUAT))
    for header, expected in (
        ("zh-CN,zh;q=0.9", "请比较两段视频或两张照片"),
        (None, "Compare two videos or two photos"),
    ):
        client = Client(app_url, verbose=False, headers={"Accept-Language": header} if header else None)
        with pytest.raises(AppError, match=expected):
            client.predict(*files, api_name="/compare")
