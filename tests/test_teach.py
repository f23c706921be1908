"""The app's Teach tab in-process (issue 13): train from two kinds of time ranges of the squat clip, read the
report, switch the classifier on, and find its verdict in the Image tab's table; reload the saved model; a
session's rule file naming it; files not uploaded, and a pickle posing as a model, refused plainly."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import cv2
import gradio as gr
import pandas as pd
import pytest

from pose_demo.app.core import PoseApp
from pose_demo.app.image_tab import ImageTab
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import SessionClassifiers
from pose_demo.app.teach_tab import CLASS_COLUMNS, Taught, Teacher, label_ranges, model_name
from pose_demo.app.uploads import NOT_UPLOADED, UploadFolders
from pose_demo.classifier.model import LearnError
from pose_demo.rules import RuleSet
from tests.conftest import DATA_DIR, MODEL_DIR, VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"
BOTTOMS = json.loads((VIDEOS / "reps.json").read_text())["clips"]["squat_side_view.mp4"]["times"]
HALF = 0.3


def squat_table() -> pd.DataFrame:
    """The first two repetitions: deep around each bottom; standing 1.5 s before the first and halfway
    between the first two (seconds, as a user types them)."""
    b = BOTTOMS
    moments = [(b[0], "deep"), (b[1], "deep"), (b[0] - 1.5, "standing"), ((b[0] + b[1]) / 2, "standing")]
    rows = [[f"{t - HALF:.2f}", f"{t + HALF:.2f}", label] for t, label in moments]
    return pd.DataFrame([*rows, ["", "", ""]], columns=["start", "end", "label"])


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder standing in for Gradio's uploads: a frame of the third (untrained) squat bottom and of
    standing before the first."""
    folder = tmp_path_factory.mktemp("uploads")
    capture = cv2.VideoCapture(str(SQUAT))
    for name, time_s in (("deep.jpg", BOTTOMS[2]), ("standing.jpg", BOTTOMS[0] - 1.5)):
        capture.set(cv2.CAP_PROP_POS_MSEC, time_s * 1000)
        ok, frame = capture.read()
        assert ok
        cv2.imwrite(str(folder / name), frame)
    capture.release()
    return folder


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, uploads: Path) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    allowed = UploadFolders.of(DATA_DIR, uploads)
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=allowed)


@pytest.fixture(scope="module")
def trained(app: PoseApp) -> tuple:
    return Teacher(app).train(
        str(SQUAT), squat_table(), 2, False, "squat model", class_1="deep", class_2="standing"
    )


def test_train_from_video_ranges_gives_the_report(trained: tuple) -> None:
    summary, table, figure, model_path, taught, session, flag, threshold = trained
    assert summary.startswith("### Cross-validated accuracy:")
    assert "**Examples:** deep:" in summary and "What it looks at most" in summary
    assert "**Mirrored examples:** not used" in summary  # the box unticked (it is ticked by default)
    assert list(table.columns) == CLASS_COLUMNS and table["class"].tolist() == ["deep", "standing"]
    assert all(n >= 15 for n in table["examples"])  # 2 ranges of 0.6 s, every 2nd frame at 30 fps: ~18
    assert cv2.imread(figure).shape[1] > 600  # the confusion matrix beside the features
    assert Path(model_path).name == "squat_model.json"
    assert json.loads(Path(model_path).read_text())["classes"] == ["deep", "standing"]
    assert isinstance(taught, Taught) and taught.classifier.classes == ("deep", "standing")
    assert session.classifiers == {"squat_model.json": taught.classifier} and session.rules == ()
    assert flag["choices"] == ["deep", "standing"] and flag["value"] == "deep"
    assert threshold["value"] == 0.5


def test_use_in_session_puts_the_verdict_in_the_image_table(
    app: PoseApp, trained: tuple, uploads: Path
) -> None:
    taught, session = trained[4], trained[5]
    teacher = Teacher(app)
    tab = ImageTab(app)
    session, status = teacher.use(taught, "deep", 0.6, session)
    assert "**Taught: deep**" in status and "squat_model.json" in status
    assert [r.id for r in session.rules] == ["taught_deep"]
    for photo, expected in (("deep.jpg", "yes"), ("standing.jpg", "no")):
        _, result, analysis = tab.predict_image(str(uploads / photo), classifiers=session)
        verdict = next(v for v in result["persons"][0]["rules"] if v["id"] == "taught_deep")
        assert (verdict["value"] >= 0.6) == (expected == "yes"), verdict
        _, table, _, _ = tab.image_details(analysis)
        assert table["Taught: deep"].tolist() == [expected]
        assert table.columns[-2:].tolist() == ["Hand over head", "Taught: deep"]  # after the rules chosen
    # Switched off: the Image tab judges the chosen rules only.
    session, status = teacher.stop(session)
    assert status == "No taught rule is in force."
    _, result, _ = tab.predict_image(str(uploads / "deep.jpg"), classifiers=session)
    assert all(v["id"] != "taught_deep" for v in result["persons"][0]["rules"])


def test_saved_model_reloads_and_a_rule_file_may_name_it(app: PoseApp, trained: tuple, uploads: Path) -> None:
    shutil.copy(trained[3], uploads / "squat_model.json")
    teacher = Teacher(app)
    tab = ImageTab(app)
    summary, taught, session, _, _ = teacher.load_model(str(uploads / "squat_model.json"), None)
    assert "Loaded squat_model.json" in summary and "deep, standing" in summary
    assert taught.classifier.classes == ("deep", "standing") and "squat_model.json" in session.classifiers
    rules = uploads / "taught.yaml"
    rules.write_text(
        "rules:\n  - id: deep_squat\n    title: {en: Deep squat}\n    kind: classifier\n"
        "    model: squat_model.json\n    flag: deep\n    threshold: 0.6\n"
    )
    _, _, status = app.check_rule_file(str(rules), session)
    assert status.startswith("**In force instead of the rules chosen:**")
    _, result, _ = tab.predict_image(str(uploads / "deep.jpg"), rule_file=str(rules), classifiers=session)
    assert [v["id"] for v in result["persons"][0]["rules"]] == ["deep_squat"]
    assert result["persons"][0]["rules"][0]["triggered"] is True
    # Without the session's classifiers the same file is refused, saying why.
    _, _, status = app.check_rule_file(str(rules), None)
    assert "is not in force" in status and "no classifier called 'squat_model.json' in this session" in status


def test_files_not_uploaded_are_refused_with_the_neutral_message(app: PoseApp, uploads: Path) -> None:
    teacher = Teacher(app)
    outside = Path("/etc/hostname")
    with pytest.raises(gr.Error) as e:
        teacher.train(str(outside), squat_table(), 2, False, "x", class_1="deep", class_2="standing")
    assert e.value.message == NOT_UPLOADED
    with pytest.raises(gr.Error) as e:
        teacher.train(None, None, class_1="deep", photos_1=[str(outside)], class_2="standing")
    assert e.value.message == NOT_UPLOADED
    for path in (outside, uploads / ".." / ".." / "etc" / "passwd"):
        with pytest.raises(gr.Error) as e:
            teacher.load_model(str(path), None)
        assert e.value.message == NOT_UPLOADED
    with pytest.raises(gr.Error) as e:
        teacher.preview({"path": str(outside)}, squat_table())
    assert e.value.message == NOT_UPLOADED
    # An uploaded pickle posing as a model is read as text, never unpickled, and refused by its name.
    fake = uploads / "model.json"
    fake.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(gr.Error) as e:
        teacher.load_model(str(fake), None)
    assert "model.json" in e.value.message and str(uploads) not in e.value.message


def test_train_from_photos_of_each_class(app: PoseApp, uploads: Path) -> None:
    """Photos per class (frames of the first two squats, saved as JPEG like uploads), and a picture with
    nobody in it, which is listed as not used."""
    capture = cv2.VideoCapture(str(SQUAT))
    photos: dict[str, list[str]] = {"deep": [], "standing": []}
    b = BOTTOMS
    for label, times in (("deep", (b[0], b[0] + 0.2, b[1], b[1] + 0.2)), ("standing", (b[0] - 1.5, 4.1))):
        for time_s in (*times, *(t + 0.1 for t in times)):
            capture.set(cv2.CAP_PROP_POS_MSEC, time_s * 1000)
            ok, frame = capture.read()
            assert ok
            path = uploads / f"{label}_{time_s:.1f}.jpg"
            cv2.imwrite(str(path), frame[::2, ::2])
            photos[label].append(str(path))
    capture.release()
    empty = uploads / "empty.jpg"
    cv2.imwrite(str(empty), cv2.imread(photos["deep"][0])[:40, :40])
    summary, table, *_ = Teacher(app).train(
        None,
        None,
        class_1="deep",
        photos_1=[*photos["deep"], str(empty)],
        class_2="standing",
        photos_2=photos["standing"],
    )
    assert table["examples"].tolist() == [8, 4]
    assert "**Not used (1):** deep/empty.jpg (deep): nobody found" in summary


def test_ranges_load_from_a_labels_csv(app: PoseApp, uploads: Path) -> None:
    labels = uploads / "my labels.csv"
    labels.write_text("start,end,label\n2.3,2.9,deep\n0.8,1.4,standing\n")
    table = Teacher(app).ranges_from_file(str(labels))
    assert table.values.tolist() == [["2.3", "2.9", "deep"], ["0.8", "1.4", "standing"]]
    labels.write_text("begin,end,label\n1,2,a\n")
    with pytest.raises(gr.Error, match=r"my_labels\.csv: the first row must be the header start,end,label"):
        Teacher(app).ranges_from_file(str(labels))


def test_plain_messages_for_mistakes(app: PoseApp) -> None:
    teacher = Teacher(app)
    cases = [
        ({"class_1": "deep"}, "Name two or more classes"),
        ({"class_1": "deep", "class_2": "deep"}, "Two classes are called deep"),
        ({"class_1": "a/b", "class_2": "c"}, "Class 1: the class name 'a/b' is not allowed"),
        ({"class_1": "deep", "class_2": "standing"}, "No examples yet"),
    ]
    for values, message in cases:
        with pytest.raises(gr.Error, match=message):
            teacher.train(None, None, **values)
    table = pd.DataFrame([["1", "2", "sitting"]], columns=["start", "end", "label"])
    with pytest.raises(gr.Error, match="name sitting, which is not one of the classes named"):
        teacher.train(str(SQUAT), table, class_1="deep", class_2="standing")
    with pytest.raises(gr.Error, match="need their video"):
        teacher.train(None, squat_table(), class_1="deep", class_2="standing")
    with pytest.raises(gr.Error, match="No model yet"):
        teacher.use(None, "deep", 0.5, SessionClassifiers())
    with pytest.raises(LearnError, match="overlap"):
        label_ranges([["1", "3", "a"], ["2", "4", "b"]])
    assert label_ranges({"data": [["", "", ""]]}) == []
    assert model_name("my model!") == "my_model.json" and model_name("") == "posture.json"
