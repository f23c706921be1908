"""Issue 26, items 3 and 5 to 10, in process (the browser's side: ``tests/test_browser_second_pass.py``):
the exercise menu on the Video and Webcam tabs, a webcam session kept, the ranges table that grows, the
person to follow, the words a coach stumbled on, batch saying what its start-up does."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pandas as pd
import pytest

from pose_demo import AnalysisOptions, PoseStream, UniModel, analyse_image, load_image
from pose_demo.app.core import PoseApp
from pose_demo.app.image_tab import ImageTab, rules_legend
from pose_demo.app.layout import build_demo
from pose_demo.app.live import webcam_session
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import Settings, SettingsError
from pose_demo.app.teach_tab import add_range, grow_ranges, range_columns
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.views import last_rep_cell, verdict_cell
from pose_demo.app.webcam_tab import WebcamTab
from pose_demo.compare.align import Alignment
from pose_demo.compare.features import FEATURES
from pose_demo.compare.report import phase_bounds, similarity_score
from pose_demo.exercises.schema import ExerciseCatalog
from pose_demo.focus import person_at
from pose_demo.i18n import Message, translate
from pose_demo.report.session import format_range
from pose_demo.results import LiveCount, Rep, Verdict
from pose_demo.rules import RuleSet
from pose_demo.video.io import decode, probe
from tests.conftest import DATA_DIR, IMAGES, MODEL_DIR, REPO, VIDEOS

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
SQUAT = VIDEOS / "squat_side_view.mp4"
# "Download this session": the files of a webcam session kept, in order
SESSION_FILES = (
    "webcam.mp4",
    "webcam_poses.json",
    "webcam_poses.csv",
    "webcam_reps.json",
    "webcam_reps.csv",
    "webcam_report.html",
)
ZH = gr.Request(headers={"accept-language": "zh-CN,zh;q=0.9"})


@pytest.fixture(scope="module")
def pose_app(tmp_path_factory: pytest.TempPathFactory) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    uploads = UploadFolders.of(DATA_DIR)
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)


# --- item 3: the exercise menu on the Video and Webcam tabs --------------------------------------------


def test_the_exercise_menu_is_on_the_video_and_webcam_tabs_one_setting(pose_app: PoseApp) -> None:
    demo = build_demo(pose_app, [], [])
    by_id = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    assert "exercise" not in by_id  # no longer in the settings accordion
    menus = [by_id["video-exercise"], by_id["webcam-exercise"]]
    ids = ["", "auto", *ExerciseCatalog.load("default").ids]  # the catalog, as the lead extends it
    for menu in menus:
        assert [value for _, value in menu.choices] == ids
    # choosing in one menu sets the session's state, which sets every menu
    shared = {f.outputs[0]._id for f in demo.fns.values() if f.fn is not None and f.inputs == [menus[0]]}
    assert len(shared) == 1
    (state_id,) = shared
    assert isinstance(demo.blocks[state_id], gr.State)
    setters = [f for f in demo.fns.values() if f.inputs and f.inputs[0]._id == state_id]
    assert {f.outputs[0]._id for f in setters} == {m._id for m in menus}
    # each tab's analysis reads its own menu (the API parameter ``exercise`` stays)
    (video,) = [f for f in demo.fns.values() if f.api_name == "predict_video"]
    assert menus[0] in video.inputs


# --- item 5: a webcam session kept ------------------------------------------------------------------------


def test_a_webcam_session_is_kept_as_a_video_with_its_verdicts_reps_and_report(pose_app: PoseApp) -> None:
    """The squat clip's first 10 s (3 squats) as camera frames at 10 frames/s through a webcam session, as
    the live channel gives them (JPEG), then "Download this session"."""
    tab = WebcamTab(pose_app)
    with pytest.raises(gr.Error, match="Nothing recorded yet"):
        tab.download_session(None)
    session = webcam_session(pose_app, None, "en", exercise="squat")
    info = probe(SQUAT)
    for k, frame in enumerate(decode(info, (480, 272), 10, 100)):
        jpeg = bytes(np.asarray(cv2.imencode(".jpg", frame)[1]))
        session.process(frame, 100.0 + k / 10, jpeg if k % 2 else None)  # the camera's JPEG, or made here
    again = webcam_session(pose_app, session, "en", exercise="squat", thickness=2.0)
    assert again.recording is session.recording  # a drawing setting changed: the same recording
    files = [Path(f) for f in tab.download_session(None, again, ZH)]
    names = [f.name for f in files]
    assert names == list(SESSION_FILES)
    video = probe(files[0])
    assert (video.width, video.height) == (480, 272) and abs(video.duration - 10.0) < 0.3
    poses = json.loads(files[1].read_text(encoding="utf-8"))
    assert len(poses["frames"]) == 100 and all(f["persons"] for f in poses["frames"][:90])
    reps = json.loads(files[3].read_text(encoding="utf-8"))
    counted = [p for p in reps["persons"] if p.get("count")]
    assert counted and counted[0]["exercise"] == "squat" and counted[0]["count"] == 3
    report = files[5].read_text(encoding="utf-8")
    assert "深蹲" in report and "<img" in report  # in the page's language, with its pictures
    # the recording is kept for the page's session once the stream's own short-lived state is gone
    assert WebcamTab.keep_recording(again) is session.recording
    assert next(Path(f).name for f in tab.download_session(session.recording)) == "webcam.mp4"


# --- item 6: the ranges table grows --------------------------------------------------------------------


def test_the_ranges_table_grows() -> None:
    payload = {"headers": ["start", "end", "label"], "data": [["0", "2", "up"], ["", "", ""]]}
    assert grow_ranges(payload) == gr.skip()  # an empty row is there already
    payload["data"][1] = ["3", "", ""]  # typing in the last row makes room for the next
    grown = grow_ranges(payload)
    assert isinstance(grown, pd.DataFrame) and grown.values.tolist()[-2:] == [["3", "", ""], ["", "", ""]]
    added = add_range(grown, ZH)  # the button: always one more, headers in the page's language
    assert len(added) == 4 and list(added.columns) == range_columns("zh-CN")


# --- item 7: the person to follow ------------------------------------------------------------------------


def test_a_photo_follows_the_person_chosen(fast_model: UniModel) -> None:
    image = load_image(WALKERS)
    everyone = analyse_image(fast_model, image).persons
    assert len(everyone) == 3
    (second,) = analyse_image(fast_model, image, AnalysisOptions(person=2)).persons
    assert second.box == everyone[1].box
    assert analyse_image(fast_model, image, AnalysisOptions(person=4)).persons == []  # nobody numbered so
    x1, y1, x2, y2 = everyone[1].box.as_xyxy()
    assert person_at(everyone, (x1 + x2) / 2, (y1 + y2) / 2) == 1
    assert person_at(everyone, -5, -5) is None
    with pytest.raises(ValueError, match="whole number of at least 1"):
        AnalysisOptions(person=0)
    assert AnalysisOptions(person=3.0).person == 3  # as a page sends it
    catalog = RuleSet.load("default")
    assert Settings.parse(catalog, person=0).analysis.person is None  # the number box's "nobody"
    assert Settings.parse(catalog, person=2).analysis.person == 2
    with pytest.raises(SettingsError):
        Settings.parse(catalog, person=1.5)


def test_the_image_tab_follows_a_click(pose_app: PoseApp) -> None:
    tab = ImageTab(pose_app)
    photo = {"path": str(WALKERS), "orig_name": WALKERS.name}
    _, result, analysis = tab.predict_image(photo)
    x1, y1, x2, y2 = result["persons"][2]["box"]
    click = gr.SelectData(None, {"index": [(x1 + x2) / 2, (y1 + y2) / 2], "value": None})
    assert tab.pick_person(analysis, click) == 3
    _, result, followed = tab.predict_image(photo, person=3)
    assert len(result["persons"]) == 1 and followed.first == 3
    _summary, table, *_ = tab.image_details(followed)
    assert table.iloc[0, 0] == 3  # numbered as before
    assert tab.pick_person(followed, click) == gr.skip()  # on the one followed: nothing changes
    beside = gr.SelectData(None, {"index": [1, 1], "value": None})
    assert tab.pick_person(followed, beside) == 0  # beside them: everyone again
    assert tab.pick_person(analysis, beside) == gr.skip()


def test_a_video_follows_the_track_chosen(fast_model: UniModel) -> None:
    street = VIDEOS / "mmpose_demo_street_5frames.mp4"
    info = probe(street)
    frames = list(decode(info, (info.width, info.height), info.rate))
    ids = []
    for options in (AnalysisOptions(), AnalysisOptions(person=2)):
        stream = PoseStream(fast_model, options, max_latency_s=None)
        ids.append(
            [
                sorted(p.track_id for p in stream.analyse(f, k / 5).persons if p.track_id)
                for k, f in enumerate(frames)
            ]
        )
    assert all(len(seen) >= 2 for seen in ids[0])
    assert ids[1] == [[2] if 2 in seen else [] for seen in ids[0]]


# --- item 8: words a coach stumbled on -------------------------------------------------------------------


def test_words_a_coach_stumbled_on() -> None:
    title = {"en": "Shoulder level"}
    unmet = Verdict(
        "shoulder_level", title, "screening", 12.0, "deg", "unknown", False, (5, 6), None, "standing_still"
    )
    for lang, words in (
        ("en", "judged only when standing upright and still"),
        ("zh-CN", "仅在直立站定时判定"),
    ):
        cell = verdict_cell(unmet, lang)
        assert cell.startswith(words) and "not standing still" not in cell
    reused = Message("ui.compare.reused_here", {"name": Message("ui.compare.the_athlete")})
    sentence = translate("ui.compare.reused", "en", what=reused)
    assert sentence == "Reused, not analysed again: the athlete's poses (found for an earlier comparison)."
    assert format_range(0.04, 1.15, "body") == "0.04 to 1.15 torso lengths"
    assert format_range(0.04, 1.15, "body", "zh-CN") == "0.04 到 1.15 倍躯干长"
    assert format_range(68.0, 165.0, "deg") == "68° to 165°"
    rep = Rep(1, 0.0, 1.0, 2.1, (0.04, 1.15), {"down": 1.0, "up": 1.1})
    count = LiveCount("push_up", 1, False, rep, "body", {"en": "Push-up"})
    assert last_rep_cell(count) == "2.1 s, 0.04 to 1.15 torso lengths, ok"
    legend = rules_legend(RuleSet.load("default"), "zh-CN")
    assert "±10°" in legend and " deg" not in legend


def test_counts_have_their_nouns_in_the_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", "infer", str(STANDING), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert f"1 image, 1 person -> {tmp_path}" in done.stdout


def test_compare_takes_no_mean_of_nothing() -> None:
    """An aligned pair where no angle is known in both clips, an angle never seen: no RuntimeWarning
    ("Mean of empty slice", "All-NaN slice") on the user's terminal, and the same score as without them."""

    known = np.array([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]])
    holey = known.copy()
    holey[1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = similarity_score(known, holey + 20.0, Alignment(np.array([[0, 0], [1, 1], [2, 2]])))
        expected = similarity_score(
            known[[0, 2]], known[[0, 2]] + 20.0, Alignment(np.array([[0, 0], [1, 1]]))
        )
        angles = np.full((30, len(FEATURES)), np.nan)  # only the left knee seen
        angles[:, FEATURES.index("left_knee")] = 90 + 60 * np.sin(np.linspace(0, 6 * np.pi, 30))
        bounds = phase_bounds(angles)
    assert score == pytest.approx(expected) and 0 < score < 100
    assert bounds[0] == 0 and bounds[-1] == 29 and len(bounds) > 2


# --- item 9: batch says what its start-up does -----------------------------------------------------------


def test_batch_says_what_its_start_up_does(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", "batch", str(STANDING), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    first_line = done.stderr.strip().splitlines()[0]
    assert first_line.startswith("Starting (local): loading the models.") and "compiles them" in first_line
    assert "1 inputs: 1 done" in done.stdout and "s of start-up" in done.stdout
