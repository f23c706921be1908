"""Issue 24, the second security pass: attacks on a live app, as an attacker makes them.

Media playlists that name server files, crafted classifier files (through the library, in a subprocess
that would die of a segmentation fault, and through the Teach tab's upload). The events of the page that
are not in the API are called as the page calls them: Gradio's queue protocol with the event's index from
``/config``.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import xgboost as xgb

from pose_demo.i18n import translate
from pose_demo.learn.classifier import Classifier
from pose_demo.learn.features import FEATURES
from pose_demo.learn.model_file import ClassifierFileError, classifier_document, load_classifier
from pose_demo.video.io import VideoInputError, probe
from tests.conftest import REPO, VIDEOS
from tests.test_security import WALKERS, LiveApp, call, live, upload

__all__ = ["live"]  # the live app fixture, shared with test_security's module scope by name
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"
SQUAT = VIDEOS / "squat_side_view.mp4"
UNREADABLE = str(VideoInputError("error.video.unreadable"))
NOT_A_MODEL = "not a model file of this app"


def page_event(url: str, elem_id: str, event: str, data: list[Any]) -> tuple[bool, Any]:
    """One call of the page's event ``event`` of the element ``elem_id``, through Gradio's queue as the
    page makes it; (succeeded, outputs or the error message)."""
    session = uuid.uuid4().hex
    with httpx.Client(base_url=url, timeout=120) as http:
        config = http.get("/config").raise_for_status().json()
        ids = {c["id"] for c in config["components"] if c["props"].get("elem_id") == elem_id}
        targets = {(i, event) for i in ids}
        (fn_index,) = [d["id"] for d in config["dependencies"] if targets & {tuple(t) for t in d["targets"]}]
        body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
        http.post("/gradio_api/queue/join", json=body).raise_for_status()
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line.removeprefix("data:")) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    output = message["output"]
                    return message["success"], output["data"] if message["success"] else output.get("error")
    raise AssertionError("the queue closed without an answer")


# ---------------------------------------------------------------- 1. media playlists


def playlists(target: Path) -> dict[str, bytes]:
    """Files that make ffmpeg open ``target``: an HLS playlist (with and without ``file:``), ffconcat."""
    hls = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{}\n#EXT-X-ENDLIST\n"
    return {
        "hls file:": hls.format(f"file://{target}").encode(),
        "hls path": hls.format(target).encode(),
        "ffconcat": f"ffconcat version 1.0\nfile {target}\n".encode(),
    }


@pytest.mark.parametrize("suffix", [".m3u8", ".mp4", ".webm"])
def test_a_playlist_is_refused_whatever_its_name(tmp_path: Path, suffix: str) -> None:
    for kind, content in playlists(SQUAT).items():
        path = tmp_path / f"list{suffix}"
        path.write_bytes(content)
        with pytest.raises(VideoInputError) as refused:
            probe(path)
        assert str(refused.value) == UNREADABLE, kind


def test_a_video_named_like_a_playlist_is_read(tmp_path: Path) -> None:
    renamed = tmp_path / "clip.m3u8"
    shutil.copy(SQUAT, renamed)
    assert probe(renamed).frames == probe(SQUAT).frames == 322
    webm = VIDEOS / "push_up_side_lowcam_webcam.mp4"  # a WebM file named .mp4
    assert probe(webm).codec == "h264" and probe(webm).frames == 475


def test_playlists_uploaded_to_the_live_app_are_refused(live: LiveApp) -> None:
    for kind, content in playlists(SQUAT).items():
        for name in ("list.m3u8", "clip.mp4"):
            event, message = call(live.url, "predict_video", upload(live.url, content, name))
            assert (event, message) == ("error", UNREADABLE), (kind, name)
        reference = upload(live.url, STREET.read_bytes(), "reference.mp4")
        event, message = call(
            live.url, "compare", reference, athlete=upload(live.url, content, "athlete.mp4")
        )
        assert event == "error" and message and "could not be read as a video" in message, (kind, message)
        ranges = {"headers": ["start", "end", "label"], "data": [[0, 2, "a"], [3, 5, "b"]]}
        ok, message = page_event(
            live.url, "teach-preview-run", "click", [upload(live.url, content, "t.mp4"), ranges]
        )
        assert (ok, message) == (False, UNREADABLE), kind
    # A real video with a playlist's name is analysed.
    event, outputs = call(live.url, "predict_video", upload(live.url, STREET.read_bytes(), "street.m3u8"))
    assert event == "complete", outputs


# ---------------------------------------------------------------- 2. crafted classifier files


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """A real classifier file's document: XGBoost trained on this project's features."""
    rng = np.random.default_rng(0)
    x = rng.random((300, len(FEATURES.names))).astype(np.float32)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(x, x[:, 0] + x[:, 3] > 1), 5
    )
    return classifier_document(Classifier(booster, ("standing", "deep")))


def _tree_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: change(_trees(doc)["trees"][0])


def _set(key: str, index: int, value: Any) -> Callable[[dict[str, Any]], None]:
    return _tree_edit(lambda tree: tree[key].__setitem__(index, value))


def _trees(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["model"]["learner"]["gradient_booster"]["model"]


def _no_children(tree: dict[str, Any]) -> None:
    tree["left_children"][0] = tree["right_children"][0] = -5


def _cycle(tree: dict[str, Any]) -> None:
    tree["left_children"][tree["left_children"].index(max(tree["left_children"]))] = 0


CRAFTED: dict[str, Callable[[dict[str, Any]], None]] = {
    "child 2e9": _set("left_children", 0, 2_000_000_000),
    "children -5": _tree_edit(_no_children),
    "cycle to the root": _tree_edit(_cycle),
    "self child": _set("right_children", 1, 1),
    "split past the features": _set("split_indices", 0, 100_000),
    "negative split": _set("split_indices", 0, -1),
    "short array": _tree_edit(lambda t: t["right_children"].pop()),
    "num_nodes lies": _tree_edit(lambda t: t["tree_param"].__setitem__("num_nodes", "9999")),
    "infinite threshold": _set("split_conditions", 0, float("inf")),
    "nan leaf": _set("base_weights", 3, float("nan")),
    "tree group out of range": lambda doc: _trees(doc)["tree_info"].__setitem__(0, 7),
}  # fmt: skip


def crafted(document: dict[str, Any], how: str) -> str:
    doc = copy.deepcopy(document)
    CRAFTED[how](doc)
    return json.dumps(doc)  # inf and nan written as JSON's Infinity / NaN, which Python reads back


PREDICT = """
import sys
import numpy as np
from pose_demo.learn.model_file import ClassifierFileError, load_classifier
try:
    classifier = load_classifier(sys.argv[1])
except ClassifierFileError as e:
    print("refused:", e)
    sys.exit(0)
print(classifier.probabilities(np.random.default_rng(0).random((4, 17, 3)).astype(np.float32) * 100))
"""


def test_a_crafted_tree_is_refused_before_xgboost_runs_it(document: dict[str, Any], tmp_path: Path) -> None:
    """Each file is loaded and used in a process of its own: a fault there would end it with a signal."""
    for how in CRAFTED:
        path = tmp_path / "model.json"
        path.write_text(crafted(document, how), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", PREDICT, str(path)], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, (how, done.returncode, done.stderr[-500:])
        assert done.stdout.startswith("refused:") and NOT_A_MODEL in done.stdout, (how, done.stdout)
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_classifier(path).classes == ("standing", "deep")  # the file untouched is accepted


def test_numbers_that_are_no_numbers_get_a_sentence(document: dict[str, Any], tmp_path: Path) -> None:
    doc = copy.deepcopy(document)
    doc["model"]["learner"]["learner_model_param"]["num_feature"] = 1e999
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ClassifierFileError, match="not an XGBoost JSON model"):
        load_classifier(path)


def test_a_crafted_model_uploaded_to_the_teach_tab_is_refused_and_the_app_lives_on(
    live: LiveApp, document: dict[str, Any]
) -> None:
    for how in ("child 2e9", "cycle to the root", "split past the features"):
        model = upload(live.url, crafted(document, how).encode(), "posture.json")
        ok, message = page_event(live.url, "teach-upload", "upload", [model, None])
        assert not ok and message == translate("error.learn.file.bad_trees", "en", name="posture.json"), how
    ok, outputs = page_event(
        live.url,
        "teach-upload",
        "upload",
        [upload(live.url, json.dumps(document).encode(), "good.json"), None],
    )
    assert ok, outputs
    event, outputs = call(live.url, "predict_image", upload(live.url, WALKERS.read_bytes(), "photo.jpg"))
    assert event == "complete" and len(outputs[1]["persons"]) == 3
