"""Issue 26, item 2: the Teach tab in Chinese: class names of any script, rows counted as the user sees
them, the report's feature names and its table headers in the page's language."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from playwright.sync_api import Playwright

from pose_demo.app.core import PoseApp
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.teach_tab import Teacher, label_ranges, range_columns
from pose_demo.app.uploads import UploadFolders
from pose_demo.bench.served import served_app
from pose_demo.classifier.features import FEATURES
from pose_demo.classifier.model import LearnError
from pose_demo.classifier.model_file import load_classifier
from pose_demo.i18n import catalog, translate
from pose_demo.learn.examples import LabelRange, check_label, parse_labels, read_labels
from pose_demo.learn.report import feature_title
from pose_demo.rules import RuleSet
from tests.conftest import DATA_DIR, MODEL_DIR, VIDEOS
from tests.test_browser import TIMEOUT_MS, VIEWPORT, launch, playwright  # noqa: F401 (fixture)

SQUAT = VIDEOS / "squat_side_view.mp4"
BOTTOMS = json.loads((VIDEOS / "reps.json").read_text())["clips"]["squat_side_view.mp4"]["times"]
ZH = gr.Request(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})  # as Chromium with --lang=zh-CN


@pytest.mark.parametrize(
    "label", ["深蹲", "站立 2", "Kniebeuge_tief", "gut-ü.1", "स्क्वाट", "приседание", "_x", "x" * 64]
)
def test_class_names_of_any_script_are_accepted(label: str) -> None:
    assert check_label(label, "here") == label


@pytest.mark.parametrize(
    "label",
    ["", " 深蹲", "a/b", "a\\b", "..", ".hidden", "深蹲\n", "a\x00b", "a\tb", "a:b", "a,b", "好！", "x" * 65],
)
def test_other_class_names_are_refused(label: str) -> None:
    with pytest.raises(LearnError) as error:
        check_label(label, "here")
    assert "文字（任何语言）" in error.value.text("zh-CN")


def test_table_rows_are_counted_as_the_user_sees_them() -> None:
    with pytest.raises(LearnError) as error:
        label_ranges([["x", "2", "深蹲"], ["", "", ""]], "zh-CN")
    assert error.value.text("zh-CN") == "时间段表格：第 1 行：开始和结束必须是秒数，例如 2.5。"
    with pytest.raises(LearnError, match="the time ranges: row 1: start and end must be seconds"):
        label_ranges([["x", "2", "deep"]], "en")
    rows = [["0", "1", "深蹲"], ["", "", ""], ["3", "2", "站立"]]  # an empty row between: still counted
    with pytest.raises(LearnError) as error:
        label_ranges(rows, "zh-CN")
    assert error.value.text("zh-CN").startswith("时间段表格：第 3 行：")
    with pytest.raises(LearnError) as error:
        label_ranges([["0", "1", "深蹲"], ["2", "3", "a/b"]], "zh-CN")
    assert error.value.text("zh-CN").startswith("时间段表格：第 2 行：类别名 'a/b' 不可用")
    assert label_ranges([["0", "1", "深蹲"], ["2", "3", "站立"]]) == [
        LabelRange(0.0, 1.0, "深蹲"),
        LabelRange(2.0, 3.0, "站立"),
    ]


def test_a_labels_file_keeps_its_line_numbers(tmp_path: Path) -> None:
    with pytest.raises(LearnError) as error:
        parse_labels("start,end,label\n\n0,1,a\nx,2,b\n", "labels.csv")  # a blank line counted
    assert error.value.text("en") == "labels.csv: line 4: start and end must be seconds, like 2.5."
    path = tmp_path / "labels.csv"
    path.write_text("start,end,label\n0,1,深蹲\n2,3,站立\n", encoding="utf-8")
    assert [r.label for r in read_labels(path)] == ["深蹲", "站立"]


def test_every_feature_has_a_title_in_both_languages() -> None:
    for name, title in zip(FEATURES.names, FEATURES.titles, strict=True):
        assert catalog("en")[f"learn.feature.{name}"] == title
        assert f"learn.feature.{name}" in catalog("zh-CN")
    assert feature_title("left_elbow_angle", "left elbow angle", "zh-CN") == "左肘角度"
    assert feature_title("not_a_feature", "its title", "zh-CN") == "its title"


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, uploads: Path) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    allowed = UploadFolders.of(DATA_DIR, uploads)
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=allowed)


def test_ranges_loaded_from_a_csv_keep_the_pages_language(app: PoseApp, uploads: Path) -> None:
    labels = uploads / "labels.csv"
    labels.write_text("start,end,label\n2.3,2.9,深蹲\n0.8,1.4,站立\n", encoding="utf-8")
    table = Teacher(app).ranges_from_file(str(labels), ZH)
    assert list(table.columns) == range_columns("zh-CN") == ["开始", "结束", "标签"]
    assert table["标签"].tolist() == ["深蹲", "站立"]


def test_teach_in_chinese(app: PoseApp) -> None:
    """Classes named in Chinese, trained from the squat clip through the tab: the report's feature names
    and headers in Chinese, the model file carries the names, and flagging one of them works."""
    standing = [BOTTOMS[0] - 1.5, (BOTTOMS[0] + BOTTOMS[1]) / 2]
    moments = [(t, "深蹲") for t in BOTTOMS[:2]] + [(t, "站立") for t in standing]
    rows = [[f"{t - 0.3:.2f}", f"{t + 0.3:.2f}", label] for t, label in moments]
    table = pd.DataFrame([*rows, ["", "", ""]], columns=range_columns("zh-CN"))
    teacher = Teacher(app)
    summary, per_class, _, model_path, taught, session, *_ = teacher.train(
        str(SQUAT), table, 2, False, "深蹲模型", class_1="深蹲", class_2="站立", request=ZH
    )
    zh_titles = {v for k, v in catalog("zh-CN").items() if k.startswith("learn.feature.")}
    en_titles = set(FEATURES.titles)
    assert any(title in summary for title in zh_titles), summary
    assert not any(f"{title} (" in summary for title in en_titles), summary
    assert per_class.columns[0] == translate("ui.teach.column.class", "zh-CN")
    assert per_class.iloc[:, 0].tolist() == ["深蹲", "站立"]
    assert load_classifier(model_path).classes == ("深蹲", "站立")
    session, _ = teacher.use(taught, "深蹲", 0.5, session, ZH)
    (rule,) = session.rules
    assert rule.id.startswith("taught_") and rule.classifier.flag == "深蹲"
    session, _ = teacher.use(taught, "站立", 0.5, session, ZH)
    assert len({r.id for r in session.rules}) == 2  # two Chinese names: two rules, not one id


def test_in_a_chinese_browser_the_loaded_table_keeps_chinese_headers(
    playwright: Playwright,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Chromium in Chinese: the class placeholders suggest Chinese names, and the ranges table loaded from a
    CSV keeps its Chinese headers."""
    labels = tmp_path / "labels.csv"
    labels.write_text("start,end,label\n2.3,2.9,深蹲\n0.8,1.4,站立\n", encoding="utf-8")
    env = {"POSE_DEMO_MODEL_DIR": str(MODEL_DIR), "POSE_DEMO_EXAMPLES_DIR": str(DATA_DIR)}
    (tmp_path / "app").mkdir()
    with served_app(tmp_path / "app", env) as url:
        browser = launch(playwright, "--lang=zh-CN")
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            page.get_by_role("tab", name=translate("ui.tab.teach", "zh-CN")).click()
            name = page.locator("#teach-class-1 textarea, #teach-class-1 input").first
            assert name.get_attribute("placeholder") == "例如 标准"
            page.locator("#teach-csv input[type=file]").set_input_files(labels)
            page.locator("#teach-ranges", has_text="深蹲").wait_for()
            headers = page.locator("#teach-ranges [role=columnheader]").all_inner_texts()
            assert [h.strip() for h in headers][:3] == ["开始", "结束", "标签"], headers
        finally:
            browser.close()
