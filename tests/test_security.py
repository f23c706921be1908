"""What a client can make the app open (issue 10, items 1 and 7): only files uploaded to this app.

The attacks go through the public API of a live app, as an attacker would: raw HTTP to
``/gradio_api/call/<api_name>`` with a hand-made file payload, and ``gradio_client``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from pose_demo.app.core import PoseApp
from pose_demo.app.image_tab import ImageTab
from pose_demo.app.uploads import NAME_MAX_BYTES, NOT_UPLOADED, UploadFolders, upload_name, upload_path
from pose_demo.app.video_tab import VideoTab
from pose_demo.app.webcam_tab import WebcamTab
from pose_demo.i18n import translate
from tests import test_app
from tests.conftest import IMAGES, REPO, VIDEOS
from tests.test_app import running_app

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"  # 3 persons
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"  # 5 frames
SCREENSHOT = REPO / "assets" / "screenshots" / "image.jpg"
FILE_META = {"_type": "gradio.FileData"}  # the marker that makes Gradio check a payload itself
# 88 Chinese characters (264 bytes of UTF-8) + ".jpg": longer than a file name may be on Linux
CHINESE_NAME = "人体姿态估计" * 14 + "测试一张.jpg"
REFUSED = translate("error.api.refused")  # values Gradio refuses before any handler runs
pose_app = test_app.pose_app  # the in-process app fixture, given the shared media as its upload folder
RULES_YAML = """\
rules:
  - id: my_knee
    title: {en: My knee, zh: 我的膝盖}
    kind: measurement
    measure: {joint_angle: [left_hip, left_knee, left_ankle]}
"""


# ---------------------------------------------------------------- upload_name, upload_path (no app)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", "photo"),
        ("../../x.png", "x"),
        ("", "result"),
        ("...", "result"),
        (".hidden.jpg", "hidden"),
        ("my photo (1).v2.jpg", "my_photo_1_v2"),
        ("深蹲 侧面.mp4", "深蹲_侧面"),
        ("a\x00b;rm -rf.jpg", "a_b_rm_-rf"),
    ],
)
def test_upload_name_keeps_readable_characters(name: str, expected: str) -> None:
    assert upload_name(name) == expected
    uploaded = {"path": "/tmp/gradio/x/file.bin", "orig_name": name}
    assert upload_name(uploaded) == (expected if name else "file")  # no orig_name: the path's name


def test_upload_name_of_a_264_byte_chinese_name_is_short_and_whole() -> None:
    assert len(Path(CHINESE_NAME).stem.encode()) == 264
    name = upload_name({"path": "/tmp/gradio/x/a.jpg", "orig_name": CHINESE_NAME})
    assert 0 < len(name.encode()) <= NAME_MAX_BYTES
    assert CHINESE_NAME.startswith(name)  # whole characters, none cut in half
    assert len(f"{name}_preview.gif".encode()) < 255
    # Without orig_name the path's name is used; gr.Video nests its file.
    assert upload_name({"video": {"path": "/tmp/gradio/x/clip.mp4"}, "subtitles": None}) == "clip"
    assert upload_name(None) == "result"


def test_upload_path_opens_only_files_inside_the_upload_folders(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "abc").mkdir(parents=True)
    photo = uploads / "abc" / "photo.jpg"
    shutil.copy(WALKERS, photo)
    (uploads / "link.jpg").symlink_to(WALKERS)  # planted inside, pointing out
    (uploads / "loop").symlink_to(uploads / "loop")
    allowed = UploadFolders.of(uploads)
    assert upload_path({"path": str(photo), "meta": FILE_META}, "image", allowed) == photo.resolve()
    assert upload_path(str(uploads / "abc" / ".." / "abc" / "photo.jpg"), "image", allowed) == photo.resolve()
    refused = [
        {"path": str(WALKERS)},
        {"video": {"path": str(STREET)}},
        str(SCREENSHOT),
        "/etc/passwd",
        "/proc/self/cmdline",
        str(uploads / "missing.jpg"),
        str(uploads / ".." / ".." / WALKERS.relative_to("/")),
        str(uploads / "link.jpg"),
        str(uploads / "loop"),
        str(uploads / "abc"),  # a folder
        str(uploads),
        "photo\x00.jpg",
        {"path": 12},
    ]
    for upload in refused:
        with pytest.raises(gr.Error) as error:
            upload_path(upload, "image", allowed)
        assert error.value.message == NOT_UPLOADED, upload
    for nothing in (None, "", {"path": None}, {"video": None}):
        with pytest.raises(gr.Error) as error:
            upload_path(nothing, "image", allowed)
        assert error.value.message.startswith("No image was given")


def test_upload_folders_are_gradios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The only folder allowed is where Gradio keeps uploads and its copies of the examples."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio" / ".." / "gradio"))
    assert UploadFolders.gradio() == UploadFolders(((tmp_path / "gradio").resolve(),))


def test_every_handler_checks_every_file_parameter(pose_app: PoseApp) -> None:
    """Even a payload that Gradio would stop (video, rule file) is refused by the handler itself."""
    outside = str(SCREENSHOT)  # the repository is outside this app's upload folder
    frame = np.zeros((8, 8, 3), np.uint8)
    photo = {"path": str(WALKERS), "meta": FILE_META}
    rule_file = {"path": str(REPO / "pose_demo" / "rules" / "catalog" / "default.yaml"), "meta": FILE_META}
    image, video, webcam = ImageTab(pose_app), VideoTab(pose_app), WebcamTab(pose_app)
    calls = {
        "image": lambda: image.predict_image({"path": outside}),
        "video": lambda: video.predict_video({"video": {"path": outside, "meta": FILE_META}}),
        "image rule file": lambda: image.predict_image(photo, rule_file=rule_file),
        "video rule file": lambda: video.predict_video({"path": str(STREET)}, rule_file=rule_file),
        "webcam rule file": lambda: webcam.webcam_frame(frame, None, rule_file=outside),
    }
    for what, handler in calls.items():
        with pytest.raises(gr.Error) as error:
            handler()
        assert error.value.message == NOT_UPLOADED, what


def test_docs_quote_the_message() -> None:
    assert NOT_UPLOADED in (REPO / "docs" / "app.md").read_text(encoding="utf-8").replace("\n", " ")


# ---------------------------------------------------------------- the live app


@dataclass(frozen=True)
class LiveApp:
    url: str
    upload_folder: Path  # the app's GRADIO_TEMP_DIR


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    workdir = tmp_path_factory.mktemp("app")
    with running_app(workdir) as url:
        yield LiveApp(url, workdir / "gradio")


@pytest.fixture(scope="module")
def client(live: LiveApp) -> Client:
    return Client(live.url, verbose=False)


def call(url: str, api_name: str, file: Any, **settings: Any) -> tuple[str, Any]:
    """One raw HTTP call of an endpoint with every parameter (defaults from /gradio_api/info).

    Returns the last server-sent event and its data: ("complete", outputs) or ("error", message).
    """
    with httpx.Client(base_url=url, timeout=120) as http:
        info = http.get("/gradio_api/info").raise_for_status().json()
        params = info["named_endpoints"][f"/{api_name}"]["parameters"]
        data = [file] + [settings.get(p["parameter_name"], p["parameter_default"]) for p in params[1:]]
        event_id = http.post(f"/gradio_api/call/{api_name}", json={"data": data}).raise_for_status().json()
        stream = http.get(f"/gradio_api/call/{api_name}/{event_id['event_id']}").raise_for_status().text
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    payloads = [line.removeprefix("data: ") for line in stream.splitlines() if line.startswith("data: ")]
    data = json.loads(payloads[-1])
    return events[-1], data.get("error") if isinstance(data, dict) else data


def upload(url: str, content: bytes, name: str) -> dict[str, Any]:
    """A file uploaded as a browser does (multipart, its own name), as the payload the page then sends."""
    with httpx.Client(base_url=url, timeout=60) as http:
        (path,) = http.post("/gradio_api/upload", files={"files": (name, content)}).raise_for_status().json()
    return {"path": path, "orig_name": name, "meta": FILE_META}


def targets(live: LiveApp) -> dict[str, str]:
    """Server paths an attacker may try; the last two point out of the upload folder from inside it."""
    planted = live.upload_folder / "planted"
    planted.mkdir(parents=True, exist_ok=True)
    link = planted / "photo.jpg"
    if not link.is_symlink():
        link.symlink_to(WALKERS)
    return {
        "shared image": str(WALKERS),
        "shared video": str(STREET),
        "screenshot": str(SCREENSHOT),
        "passwd": "/etc/passwd",
        "cmdline": "/proc/self/cmdline",
        "missing": str(IMAGES / "no_such_photo.jpg"),
        "dot-dot": f"{live.upload_folder}/../../../../../../../..{WALKERS}",
        "symlink": str(link),
    }


def payloads(parameter: str, path: str) -> list[Any]:
    """A file payload without Gradio's meta marker (which Gradio does not check), and with it."""
    files = [{"path": path}, {"path": path, "meta": FILE_META}]
    return [{"video": f, "subtitles": None} for f in files] if parameter == "video" else files


@pytest.mark.parametrize("parameter", ["image", "video", "rule_file"])
def test_server_files_are_refused_with_one_neutral_message(live: LiveApp, parameter: str) -> None:
    api_name = "predict_video" if parameter == "video" else "predict_image"
    photo = upload(live.url, WALKERS.read_bytes(), "photo.jpg")
    messages: dict[int, set[Any]] = {}
    for target, path in targets(live).items():
        for shape, payload in enumerate(payloads(parameter, path)):
            if parameter == "rule_file":
                event, message = call(live.url, api_name, photo, rule_file=payload)
            else:
                event, message = call(live.url, api_name, payload, max_duration=600, frame_stride=30)
            assert event == "error", (target, shape, message)
            # Refused by the handler with its message, or before it (StudioBlocks) with the app's sentence.
            assert message in (NOT_UPLOADED, REFUSED), (target, shape, message)
            messages.setdefault(shape, set()).add(message)
    # The same answer whether the path exists or not; an image without Gradio's marker reaches the handler.
    assert all(len(m) == 1 for m in messages.values()), messages
    if parameter == "image":
        assert messages[0] == {NOT_UPLOADED}


def test_server_files_are_refused_through_gradio_client(client: Client) -> None:
    for path in (str(WALKERS), str(SCREENSHOT), "/etc/passwd", "/proc/self/cmdline", "/no/such/photo.jpg"):
        with pytest.raises(AppError) as error:
            client.predict({"path": path}, api_name="/predict_image")
        assert str(error.value) == NOT_UPLOADED
        assert path not in str(error.value)


def test_real_uploads_of_every_file_parameter_still_work(client: Client, tmp_path: Path) -> None:
    rules = tmp_path / "my_rules.yaml"
    rules.write_text(RULES_YAML, encoding="utf-8")
    annotated, result = client.predict(
        handle_file(str(WALKERS)), rule_file=handle_file(str(rules)), api_name="/predict_image"
    )
    assert Path(annotated).name == f"{WALKERS.stem}_pose.jpg"
    assert len(result["persons"]) == 3
    assert all([r["id"] for r in p["rules"]] == ["my_knee"] for p in result["persons"])
    video, frames_json = client.predict(
        handle_file(str(STREET)), rule_file=handle_file(str(rules)), frame_stride=2, api_name="/predict_video"
    )
    assert Path(video).name == f"{STREET.stem}_pose.mp4"
    frames = json.loads(Path(frames_json).read_text(encoding="utf-8"))["frames"]
    assert [f["index"] for f in frames] == [0, 2, 4]
    assert all(r["id"] == "my_knee" for f in frames for p in f["persons"] for r in p["rules"])


def test_the_examples_the_page_offers_are_accepted(live: LiveApp) -> None:
    """Clicking an example sends Gradio's copy of it, which lies in the upload folder."""
    config = httpx.get(f"{live.url}config", timeout=30).raise_for_status().json()
    samples = [c["props"]["samples"] for c in config["components"] if c["type"] == "dataset"]
    image_example = samples[0][0][0]  # the image tab's first example
    assert Path(image_example["path"]).resolve().is_relative_to(live.upload_folder.resolve())
    event, outputs = call(live.url, "predict_image", image_example)
    assert event == "complete", outputs
    assert outputs[1]["persons"]


def test_a_264_byte_chinese_file_name_gets_a_short_output_name(live: LiveApp) -> None:
    photo = upload(live.url, WALKERS.read_bytes(), CHINESE_NAME)
    event, outputs = call(live.url, "predict_image", photo)
    assert event == "complete", outputs
    annotated, result = outputs[0], outputs[1]
    assert len(result["persons"]) == 3
    name = Path(annotated["path"]).name
    assert name.endswith("_pose.jpg") and CHINESE_NAME.startswith(name.removesuffix("_pose.jpg"))
    clip = upload(live.url, STREET.read_bytes(), CHINESE_NAME.replace(".jpg", ".mp4"))
    event, outputs = call(live.url, "predict_video", clip)
    assert event == "complete", outputs
    assert Path(outputs[0]["path"]).name.endswith("_pose.mp4")


# ---------------------------------------------------------------- the live webcam's socket


@pytest.mark.parametrize(
    "ticket", ["guessed", "A" * 32, "..%2F..%2Fgradio_api%2Finfo", "%00", "' OR 1=1 --", "x" * 5000]
)
def test_the_live_webcam_socket_refuses_anyone_without_a_ticket(live: LiveApp, ticket: str) -> None:
    """Only a page that pressed start has a ticket (a private event); a guessed one is refused before the
    WebSocket handshake completes, and the app is untouched."""
    url = live.url.replace("http://", "ws://").rstrip("/") + "/live-webcam/" + ticket
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=30).close()
    assert refused.value.response.status_code in (400, 403, 404, 414)
    with httpx.Client(base_url=live.url, timeout=30) as http:
        names = http.get("/gradio_api/info").raise_for_status().json()["named_endpoints"]
    assert not [name for name in names if "live" in name or "start" in name]  # no ticket through the API
