"""Model store: local resolution, and real downloads from a loopback HTTP server."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pose_demo.models.registry import MODELS, ModelSpec, RemoteFile
from pose_demo.models.store import (
    MODEL_DIR_ENV,
    ModelDownloadError,
    ModelNotFoundError,
    ModelStoreError,
    download_model,
    resolve_model,
)

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get(MODEL_DIR_ENV) or REPO.parent / "shared" / "models")
TINYPOSE = MODEL_DIR / "tinypose_128x96"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class Server:
    """A real HTTP server on 127.0.0.1 serving ``root`` from a thread."""

    def __init__(self, root: Path) -> None:
        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.xml/.bin at the root, a bin with one flipped byte in bad/, and zips in zips/."""
    root = tmp_path_factory.mktemp("served")
    for name in ("model.xml", "model.bin"):
        shutil.copyfile(TINYPOSE / name, root / name)
    (root / "bad").mkdir()
    data = bytearray((root / "model.bin").read_bytes())
    data[1000] ^= 0xFF
    (root / "bad" / "model.bin").write_bytes(data)
    (root / "zips").mkdir()
    with zipfile.ZipFile(root / "zips" / "export.zip", "w") as zipped:
        for name in ("model.xml", "model.bin", "infer_cfg.yml"):
            zipped.write(TINYPOSE / name, f"tinypose_128x96/{name}")
    with zipfile.ZipFile(root / "zips" / "evil.zip", "w") as zipped:
        zipped.write(TINYPOSE / "model.xml", "tinypose_128x96/model.xml")
        zipped.writestr("../evil", b"escaped")
    return root


@pytest.fixture
def server(served: Path) -> Iterator[Server]:
    running = Server(served)
    yield running
    running.stop()


def ir_spec(url_of: dict[str, str]) -> ModelSpec:
    """The tinypose_128x96 spec (real hashes) with its files fetched from ``url_of[name]``."""
    spec = MODELS["tinypose_128x96"]
    return dataclasses.replace(
        spec, files=tuple(dataclasses.replace(f, url=url_of[f.name]) for f in spec.files)
    )


def archive_spec(url: str, sha: str) -> ModelSpec:
    return dataclasses.replace(MODELS["tinypose_128x96_paddle"], archive=RemoteFile("export.zip", url, sha))


def test_download_then_resolve_from_cache_without_server(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    spec = ir_spec({"model.xml": server.url + "model.xml", "model.bin": server.url + "model.bin"})
    calls: list[tuple[int, int]] = []
    folder = download_model(spec, tmp_path, progress=lambda done, total: calls.append((done, total)))

    assert folder == tmp_path / "tinypose_128x96"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tinypose_128x96"]  # no partial left over
    assert sorted(p.name for p in folder.iterdir()) == ["model.bin", "model.xml"]
    for name in ("model.xml", "model.bin"):
        assert (folder / name).read_bytes() == (TINYPOSE / name).read_bytes()
    assert (2600722, 2600722) in calls and (1469407, 1469407) in calls

    server.stop()
    model = resolve_model("tinypose_128x96", download_dir=tmp_path, download=False)
    assert model.path == folder
    assert model.spec == MODELS["tinypose_128x96"]
    assert (model.format, model.model_file, model.weights_file) == (
        "openvino",
        folder / "model.xml",
        folder / "model.bin",
    )
    assert model.infer_cfg is None


def test_corrupted_download_caches_nothing(
    server: Server, served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    bad_url = server.url + "bad/model.bin"
    spec = ir_spec({"model.xml": server.url + "model.xml", "model.bin": bad_url})
    with pytest.raises(ModelDownloadError) as caught:
        download_model(spec, tmp_path)

    message = str(caught.value)
    for part in (
        "model.bin",
        bad_url,
        spec.files[1].sha256,
        sha256(served / "bad" / "model.bin"),
        "nothing was cached",
    ):
        assert part in message
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ModelNotFoundError):
        resolve_model("tinypose_128x96", download_dir=tmp_path, download=False)


def test_http_404_raises_not_found_naming_folder_and_url(server: Server, tmp_path: Path) -> None:
    missing = server.url + "missing/model.xml"
    spec = ir_spec({"model.xml": missing, "model.bin": server.url + "model.bin"})
    with pytest.raises(ModelNotFoundError) as caught:
        download_model(spec, tmp_path / "cache")

    message = str(caught.value)
    assert "404" in message and missing in message
    assert str(tmp_path / "cache" / "tinypose_128x96") in message and MODEL_DIR_ENV in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_server_down_raises_not_found(served: Path, tmp_path: Path) -> None:
    down = Server(served)
    down.stop()
    spec = ir_spec({"model.xml": down.url + "model.xml", "model.bin": down.url + "model.bin"})
    with pytest.raises(ModelNotFoundError) as caught:
        download_model(spec, tmp_path)

    message = str(caught.value)
    assert down.url + "model.xml" in message and down.url + "model.bin" in message
    assert str(tmp_path / "tinypose_128x96") in message
    assert list(tmp_path.iterdir()) == []


def test_archive_download_extracts_the_model_folder(server: Server, served: Path, tmp_path: Path) -> None:
    zip_path = served / "zips" / "export.zip"
    spec = archive_spec(server.url + "zips/export.zip", sha256(zip_path))
    folder = download_model(spec, tmp_path)

    assert folder == tmp_path / "tinypose_128x96_paddle"
    assert list(tmp_path.iterdir()) == [folder]
    assert sorted(p.name for p in folder.iterdir()) == ["infer_cfg.yml", "model.bin", "model.xml"]
    assert (folder / "model.bin").read_bytes() == (TINYPOSE / "model.bin").read_bytes()
    model = resolve_model(str(folder))
    assert model.format == "openvino" and model.infer_cfg is not None and model.infer_cfg["arch"] == "HRNet"


def test_archive_with_escaping_member_is_refused(server: Server, served: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    spec = archive_spec(server.url + "zips/evil.zip", sha256(served / "zips" / "evil.zip"))
    with pytest.raises(ModelDownloadError, match=r"'\.\./evil'"):
        download_model(spec, cache)
    assert list(cache.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def link_model(folder: Path, source: Path = TINYPOSE) -> Path:
    """A model folder whose files are symlinks to ``source``'s."""
    folder.mkdir(parents=True)
    for file in source.iterdir():
        (folder / file.name).symlink_to(file)
    return folder


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "tinypose_128x96"
    cwd_folder = link_model(tmp_path / "cwd" / name)
    arg_folder = link_model(tmp_path / "arg" / name)
    env_folder = link_model(tmp_path / "env" / name)
    cache_folder = link_model(tmp_path / "cache" / name)
    cache = tmp_path / "cache"
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path / "env"))

    assert resolve_model(name, download_dir=cache).path == env_folder
    assert resolve_model(name, model_dir=tmp_path / "arg", download_dir=cache).path == arg_folder
    assert resolve_model(cache_folder, download_dir=cache).path == cache_folder
    monkeypatch.chdir(tmp_path / "cwd")  # now the name is also an existing relative path: it wins
    explicit = resolve_model(name, model_dir=tmp_path / "arg", download_dir=cache)
    assert explicit.path == cwd_folder and explicit.spec is None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path / "empty"))
    from_cache = resolve_model(name, download_dir=cache, download=False)
    assert from_cache.path == cache_folder and from_cache.spec == MODELS[name]


@pytest.mark.parametrize(
    ("name", "model_format", "model_file", "weights_file", "arch"),
    [
        ("tinypose_128x96", "openvino", "model.xml", "model.bin", "HRNet"),
        ("tinypose_256x192", "openvino", "model.xml", "model.bin", "HRNet"),
        (
            "picodet_s_192_lcnet_pedestrian",
            "openvino",
            "picodet_s_192_lcnet_pedestrian.xml",
            "picodet_s_192_lcnet_pedestrian.bin",
            None,
        ),
        (
            "picodet_s_320_lcnet_pedestrian",
            "openvino",
            "picodet_s_320_lcnet_pedestrian.xml",
            "picodet_s_320_lcnet_pedestrian.bin",
            None,
        ),
        ("picodet_s_192_pedestrian", "paddle_legacy", "model.pdmodel", "model.pdiparams", "PicoDet"),
    ],
)
def test_shared_models_resolve_through_env(
    name: str,
    model_format: str,
    model_file: str,
    weights_file: str,
    arch: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MODEL_DIR_ENV, str(MODEL_DIR))
    model = resolve_model(name, download_dir=tmp_path, download=False)
    assert model.path == MODEL_DIR / name and model.spec == MODELS[name]
    assert model.format == model_format
    assert (model.model_file, model.weights_file) == (model.path / model_file, model.path / weights_file)
    assert (model.infer_cfg or {}).get("arch") == arch


def test_user_paddle_export_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    export = tmp_path / "my_detector"
    export.mkdir()
    for name in ("model.pdmodel", "model.pdiparams", "model.pdiparams.info"):
        shutil.copyfile(MODEL_DIR / "picodet_s_192_pedestrian" / name, export / name)
    (export / "infer_cfg.yml").write_text(
        "arch: PicoDet\nPreprocess:\n- {type: Resize, target_size: [320, 320]}\n"
    )

    for given in (export, export / "model.pdmodel"):
        model = resolve_model(given, download_dir=tmp_path / "cache")
        assert model.spec is None and model.path == export and model.format == "paddle_legacy"
        assert (model.model_file, model.weights_file) == (
            export / "model.pdmodel",
            export / "model.pdiparams",
        )
        assert model.infer_cfg == {
            "arch": "PicoDet",
            "Preprocess": [{"type": "Resize", "target_size": [320, 320]}],
        }
    assert resolve_model("my_detector", model_dir=tmp_path, download_dir=tmp_path / "cache").path == export


def test_format_preference_and_paddle3(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("inference.json", "inference.pdiparams", "other.json"):
        (folder / name).write_text("{}")
    model = resolve_model(folder)
    assert (model.format, model.model_file.name, model.weights_file.name) == (
        "paddle3",
        "inference.json",
        "inference.pdiparams",
    )
    (folder / "net.onnx").write_bytes(b"onnx")
    model = resolve_model(folder)
    assert (model.format, model.model_file.name, model.weights_file) == ("onnx", "net.onnx", None)
    (folder / "a.xml").write_text("<net/>")  # no a.bin beside it: not a model
    assert resolve_model(folder).format == "onnx"
    for stem in ("a", "b", "model"):
        (folder / f"{stem}.xml").write_text("<net/>")
        (folder / f"{stem}.bin").write_bytes(b"")
    assert resolve_model(folder).model_file.name == "model.xml"
    (folder / "model.xml").unlink()
    with pytest.raises(ModelStoreError, match=r"Several model files .*a\.xml, b\.xml"):
        resolve_model(folder)


def test_folder_without_model_file_lists_content(tmp_path: Path) -> None:
    folder = tmp_path / "empty_export"
    folder.mkdir()
    (folder / "infer_cfg.yml").write_text("arch: HRNet\n")
    (folder / "model.pdmodel").write_bytes(b"")  # weights missing
    expected = r"holds: infer_cfg\.yml, model\.pdmodel\); expected .*OpenVINO"
    with pytest.raises(ModelNotFoundError, match=expected):
        resolve_model(folder)


def test_unknown_name_lists_known_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("no_such_model", download_dir=tmp_path)
    assert all(name in str(caught.value) for name in MODELS)


def test_known_model_missing_offline_names_folder_and_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MODEL_DIR_ENV, raising=False)
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("tinypose_256x192_paddle", download_dir=tmp_path, download=False)
    message = str(caught.value)
    assert str(tmp_path / "tinypose_256x192_paddle") in message
    assert MODELS["tinypose_256x192_paddle"].archive.url in message


def test_registry_hashes_match_shared_models_and_sources() -> None:
    sources = (MODEL_DIR / "SOURCES.md").read_text(encoding="utf-8")
    checked = 0
    for spec in MODELS.values():
        for remote in spec.files:
            assert remote.sha256 in sources, f"{spec.name}/{remote.name}: hash not in SOURCES.md"
            assert remote.url.endswith("/" + remote.name)
            local = MODEL_DIR / spec.name / remote.name
            if local.is_file():
                assert sha256(local) == remote.sha256, f"{spec.name}/{remote.name}"
                checked += 1
    assert checked == 11  # 4 IR models x (xml, bin) + picodet_s_192_pedestrian's 3 files
