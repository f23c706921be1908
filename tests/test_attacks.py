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
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import xgboost as xgb
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from pose_demo.app.live import HEADER, MAX_SESSIONS, TICKET_TTL_S
from pose_demo.classifier.features import FEATURES
from pose_demo.classifier.model import Classifier
from pose_demo.classifier.model_file import ClassifierFileError, classifier_document, load_classifier
from pose_demo.cli import main as cli_main
from pose_demo.compare.align import MAX_ALIGN_FRAMES
from pose_demo.compare.compare import compare_motions
from pose_demo.compare.motion import CompareError, Motion
from pose_demo.i18n import translate
from pose_demo.learn.examples import LabelRange, first_overlap
from pose_demo.predictor import UniModel
from pose_demo.video.io import VideoInputError, ffmpeg_exe, probe
from pose_demo.video.pipeline import MAX_RATE, VideoOptions, process_video
from tests.conftest import MODEL_DIR, REPO, VIDEOS
from tests.test_image_input import png_header
from tests.test_security import NOT_UPLOADED, WALKERS, LiveApp, call, live, upload

__all__ = ["live"]  # the live app fixture, shared with test_security's module scope by name
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"
SQUAT = VIDEOS / "squat_side_view.mp4"
UNREADABLE = str(VideoInputError("error.video.unreadable"))
NOT_A_MODEL = "not a model file of this app"


def page_event(
    url: str, elem_id: str, event: str, data: list[Any] | None, session: str | None = None
) -> tuple[bool, Any]:
    """One call of the page's event ``event`` of the element ``elem_id``, through Gradio's queue as the
    page makes it, from browser session ``session`` (a new one by default), with ``data`` (None: the
    page's values as served); (succeeded, outputs or the error message)."""
    session = session or uuid.uuid4().hex
    with httpx.Client(base_url=url, timeout=120) as http:
        config = http.get("/config").raise_for_status().json()
        components = {c["id"]: c for c in config["components"]}
        ids = {i for i, c in components.items() if c["props"].get("elem_id") == elem_id}
        targets = {(i, event) for i in ids}
        (dependency,) = [d for d in config["dependencies"] if targets & {tuple(t) for t in d["targets"]}]
        if data is None:
            data = [components[i]["props"].get("value") for i in dependency["inputs"]]
        body = {"data": data, "fn_index": dependency["id"], "session_hash": session, "event_data": None}
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
from pose_demo.classifier.model_file import ClassifierFileError, load_classifier
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


# ---------------------------------------------------------------- 4. work bounded by seconds, not frames


def ffmpeg(*args: str | Path) -> Path:
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *map(str, args)]
    subprocess.run(cmd, check=True, timeout=300)
    return Path(args[-1])


@pytest.fixture(scope="module")
def thousand_fps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small file of 10 s at 1000 frames/s: 10,000 frames (a moving box, so that nothing is a copy)."""
    out = tmp_path_factory.mktemp("fast") / "fast.mp4"
    source = "testsrc2=size=64x64:rate=1000:duration=10"
    return ffmpeg("-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", out)


def test_a_1000_fps_video_is_analysed_at_60_fps(fast_model: UniModel, thousand_fps: Path) -> None:
    info = probe(thousand_fps)
    assert (info.frames, round(info.fps)) == (10_000, 1000) and thousand_fps.stat().st_size < 1_000_000
    run = process_video(fast_model, thousand_fps, None, VideoOptions(max_duration_s=60))
    assert len(run.frames) == 600 and run.rate == MAX_RATE and run.sampled_from == 1000.0
    assert run.complete and [f.index for f in run.frames[:3]] == [0, 17, 33]  # source frames at 1000/s
    assert run.frames[-1].time == pytest.approx(599 / 60)
    assert run.notice() == (
        "The video has 1000 frames per second: it was analysed at 60 frames per second, "
        "the most that are analysed."
    )
    assert run.to_dict()["processed"]["sampled_from_fps"] == 1000.0
    stride = process_video(fast_model, thousand_fps, None, VideoOptions(frame_stride=25, max_frames=5))
    assert stride.sampled_from is None and [f.index for f in stride.frames] == [0, 25, 50, 75, 100]


def test_a_1000_fps_video_sent_to_the_live_app_is_sampled(live: LiveApp, thousand_fps: Path) -> None:
    event, outputs = call(live.url, "predict_video", upload(live.url, thousand_fps.read_bytes(), "fast.mp4"))
    assert event == "complete", outputs
    frames = json.loads(Path(outputs[1]["path"]).read_text(encoding="utf-8"))
    assert len(frames["frames"]) == 600 and frames["video"]["processed"]["sampled_from_fps"] == 1000.0


def test_compare_refuses_an_alignment_past_its_size() -> None:
    def motion(frames: int) -> Motion:
        keypoints = np.zeros((frames, 17, 3), np.float32)
        return Motion(np.arange(frames), np.arange(frames) / 60, keypoints, 60.0, (64, 64), "clip.mp4")

    with pytest.raises(CompareError) as refused:
        compare_motions(motion(10), motion(MAX_ALIGN_FRAMES + 1))
    assert str(refused.value).startswith(f"A clip has {MAX_ALIGN_FRAMES + 1} analysed frames; at most 3600")


# ---------------------------------------------------------------- 5. the Teach tab's checks


def test_overlaps_are_found_in_one_sweep() -> None:
    """The sweep against every pair, on random ranges; and 10,000 ranges checked at once."""
    rng = np.random.default_rng(1)
    for _ in range(2000):
        starts = rng.integers(0, 20, rng.integers(1, 9))
        ranges = [
            LabelRange(float(s), float(s + rng.integers(0, 6)), str(rng.choice(["a", "b", "c"])))
            for s in starts
        ]
        pairs = any(
            a.label != b.label and a.start <= b.end and b.start <= a.end for a in ranges for b in ranges
        )
        assert (first_overlap(ranges) is not None) == pairs, ranges
    many = [LabelRange(i, i + 0.5, f"c{i % 40}") for i in range(10_000)]
    assert first_overlap(many) is None
    assert first_overlap([*many, LabelRange(100.2, 100.3, "other")]) == (
        many[100],
        LabelRange(100.2, 100.3, "other"),
    )


def test_the_teach_tab_refuses_what_the_video_tab_refuses(live: LiveApp, tmp_path: Path) -> None:
    huge = ffmpeg("-f", "lavfi", "-i", "color=s=8000x8000:d=0.04", "-c:v", "libx264", "-preset", "ultrafast",
                  tmp_path / "huge.mp4")  # fmt: skip
    ranges = {"headers": ["start", "end", "label"], "data": [[0, 0.02, "a"], [0.03, 0.04, "b"]]}
    ok, message = page_event(
        live.url, "teach-preview-run", "click", [upload(live.url, huge.read_bytes(), "huge.mp4"), ranges]
    )
    assert not ok and message.startswith("The video is 8000x8000; the limit is 3840x2160"), message
    clip = upload(live.url, STREET.read_bytes(), "street.mp4")
    many = {
        "headers": ["start", "end", "label"],
        "data": [[i / 10, i / 10 + 0.05, f"class{i}"] for i in range(1000)],
    }
    ok, message = page_event(live.url, "teach-preview-run", "click", [clip, many])
    assert not ok and "1000 different labels; at most 50 classes" in message, message
    rows = {"headers": ["start", "end", "label"], "data": [[i, i + 0.5, "a"] for i in range(2001)]}
    ok, message = page_event(live.url, "teach-preview-run", "click", [clip, rows])
    assert not ok and message.endswith("at most 2000 ranges."), message
    ok, gallery = page_event(live.url, "teach-preview-run", "click", [clip, ranges])
    assert ok and [g["caption"] for g in gallery[0]] == [
        "a at 0.0 s", "a at 0.0 s", "a at 0.0 s", "b at 0.0 s", "b at 0.0 s", "b at 0.0 s"
    ]  # fmt: skip


# ---------------------------------------------------------------- 7. plain sentences on the command line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["infer", "/proc/self/mem", "--out", "{tmp}/out"], "error: a file: could not be read or written"),
        (
            ["infer", str(WALKERS), "--out", "/etc/passwd/sub"],
            "error: /etc/passwd/sub: a part of this path is a file",
        ),
        (["infer", str(WALKERS), "--out", "/proc/no/such"], "error: /proc/no: no such file or folder"),
        (
            ["video", str(STREET), "--out", "/etc/passwd/x.mp4"],
            "error: /etc/passwd/x.mp4: a part of this path",
        ),
        (
            ["--lang", "zh", "infer", str(WALKERS), "--out", "/etc/passwd/sub"],
            "error: /etc/passwd/sub：路径中有一部分是文件",
        ),
    ],
)
def test_files_that_cannot_be_read_or_written_get_one_line_and_status_2(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(tmp=tmp_path) for a in args] + ["--model-dir", str(MODEL_DIR)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(expected) and "Traceback" not in "\n".join(err), err


# ---------------------------------------------------------------- 6. live webcam tickets and slots


def start_live(url: str, session: str) -> str:
    """The Webcam tab's start button pressed by browser session ``session``, with the page's settings as
    they are: the ticket it gets ("" when the live slots are taken)."""
    ok, outputs = page_event(url, "webcam-start", "click", None, session)
    assert ok, outputs
    return outputs[0]


def socket_url(url: str, ticket: str) -> str:
    return url.replace("http://", "ws://").rstrip("/") + f"/live-webcam/{ticket}"


def test_a_live_ticket_expires_and_an_idle_socket_is_closed(live: LiveApp) -> None:
    late = start_live(live.url, uuid.uuid4().hex)
    issued = time.monotonic()
    idle = start_live(live.url, uuid.uuid4().hex)
    assert late and idle
    with connect(socket_url(live.url, idle), open_timeout=30) as socket:
        opened = time.monotonic()
        message = json.loads(socket.recv(timeout=30))  # no frame sent: the server ends it
        waited = time.monotonic() - opened
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=5)
    assert message == {"end": "No camera frame came for 10 s: the live session ended. Press start to go on."}
    assert 9 < waited < 15
    time.sleep(max(0.0, issued + TICKET_TTL_S + 3 - time.monotonic()))  # the ticket is 33 s old
    with pytest.raises(InvalidStatus):
        connect(socket_url(live.url, late), open_timeout=30).close()


def test_one_live_session_per_browser_session(live: LiveApp) -> None:
    """Four starts of one page hold one slot: the last ticket works, the earlier ones are void, and
    another page still gets a live slot."""
    page = uuid.uuid4().hex
    tickets = [start_live(live.url, page) for _ in range(4)]
    assert all(tickets) and len(set(tickets)) == 4
    for void in tickets[:3]:
        with pytest.raises(InvalidStatus):
            connect(socket_url(live.url, void), open_timeout=30).close()
    others = [start_live(live.url, uuid.uuid4().hex) for _ in range(MAX_SESSIONS - 1)]
    assert all(others)  # the slots left: every other page gets one
    with connect(socket_url(live.url, tickets[3]), open_timeout=30) as socket:
        jpeg = cv2.imencode(".jpg", cv2.imread(str(WALKERS)))[1]
        socket.send(HEADER.pack(7) + jpeg.tobytes())
        reply = socket.recv(timeout=60)
        assert HEADER.unpack_from(reply)[0] == 7 and reply[HEADER.size : HEADER.size + 2] == b"\xff\xd8"
        replacing = start_live(live.url, page)  # the same page starts again: this socket ends
        socket.send(HEADER.pack(8) + jpeg.tobytes())
        assert json.loads(socket.recv(timeout=30)) == {
            "end": "This page started another live session: this one ended."
        }
    assert replacing


# ---------------------------------------------------------------- 7. plain sentences from the live app


def test_values_refused_before_any_handler_get_one_sentence_and_no_traceback(live: LiveApp) -> None:
    log = live.upload_folder.parent / "app.log"
    before = log.read_text(encoding="utf-8").count("Traceback")
    photo = upload(live.url, WALKERS.read_bytes(), "photo.jpg")
    refused = translate("error.api.refused")
    for payload in (
        "/etc/passwd",  # a plain string in place of a file
        {"path": str(WALKERS)},  # a server path without Gradio's marker
        {"path": "http://127.0.0.1:1/x.jpg", "meta": {"_type": "gradio.FileData"}},  # a URL to loopback
        {"url": "http://127.0.0.1:1/x.jpg", "path": "x.jpg", "meta": {"_type": "gradio.FileData"}},
    ):
        event, message = call(live.url, "predict_image", payload)
        assert event == "error" and message in (refused, NOT_UPLOADED), (payload, message)
    event, message = call(live.url, "predict_image", photo, rules=5)
    assert event == "error" and message.startswith("Unknown rules [5]: choose from "), message
    event, message = call(live.url, "predict_image", upload(live.url, png_header(20000, 10000), "bomb.png"))
    assert (event, message) == (
        "error",
        "The image has far more than 50 megapixels, the limit: resize it and try again.",
    )
    assert log.read_text(encoding="utf-8").count("Traceback") == before
