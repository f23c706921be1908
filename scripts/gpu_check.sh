#!/usr/bin/env bash
# The NVIDIA GPU check of issue 29, prepared for a session that is lent a GPU machine.
#
#   scripts/gpu_check.sh check [BUNDLE]  on the GPU machine: install, keypoints on the GPU against OpenVINO's
#                                        on the CPU (within 1 px, 6 crops in one call too), the app served
#                                        with --device gpu asked a photo and a video, bench with 1 and
#                                        6 persons, bench-video on the squat clip, bench-webcam's socket client
#                                        (no browser there), each also on OpenVINO/CPU there, and a summary;
#                                        about 6 minutes, 8 at most
#   scripts/gpu_check.sh bundle DIR      where PyPI answers: what the lent machine lacks, in parts DIR/1, DIR/2...
#
# With PyPI in reach, `check` alone installs requirements.txt and requirements-gpu.txt. The lent machine
# (device tool) reaches nothing, carries at most 64 MiB a call, and has Python 3.12, an NVIDIA driver for
# CUDA 13 and CUDA 13's libraries as pip packages but neither this project's packages nor ONNX Runtime's GPU
# build (a 256 MB wheel), nor ../shared. So, here: `mkdir -p .git/info; echo /.gpu_bundle/ >> .git/info/exclude;
# scripts/gpu_check.sh bundle .gpu_bundle` (440 MB in 8 parts of 58 MiB, 2026-12-07); then, on one warm machine, one
# call per part, each less than 30 s after the last (the machine goes back when idle longer):
#   carry [".gpu_bundle/1"], command "mkdir -p /tmp/gpu_bundle && cp .gpu_bundle/1/* /tmp/gpu_bundle/"
#   ... the same for 2 to 7, and for the last part the check itself:
#   carry [".gpu_bundle/8"], command "cp .gpu_bundle/8/* /tmp/gpu_bundle/ && scripts/gpu_check.sh check /tmp/gpu_bundle"
# It uses onnxruntime-gpu's CUDA 13 build there (the CUDA 12 build of requirements-gpu.txt would need CUDA
# 12's libraries too, about 1.5 GB more).
# Rehearsed here (2026-12-07, no GPU): a Python 3.12 venv holding only IMAGE_HAS's packages and the image's
# CPU onnxruntime, then `PYTHON=venv/bin/python DEVICE=cpu RUNTIME=onnx ... check PARTS_DIR` from the 8 parts:
# the bundled onnxruntime-gpu 1.31.1 takes the image's place (CUDA and TensorRT providers listed), and
# equality, the app served and asked, the benches and the socket webcam all ran (about 2.5 minutes).
#
# Without a GPU the same steps run on ONNX Runtime's CPU provider, to check the commands:
#   DEVICE=cpu RUNTIME=onnx REPEAT=5 VIDEO_FRAMES=60 WEBCAM_S=5 scripts/gpu_check.sh check
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
DEVICE=${DEVICE:-gpu}       # gpu: ONNX Runtime's CUDA provider, whatever RUNTIME says
RUNTIME=${RUNTIME:-openvino}
REPEAT=${REPEAT:-100}       # bench's timed runs per figure
VIDEO_FRAMES=${VIDEO_FRAMES:-}  # bench-video's frames (empty: the whole clip, 322 frames)
WEBCAM_S=${WEBCAM_S:-20}       # bench-webcam's measured seconds (after 5 s of warm-up)
ORT_GPU=${ORT_GPU:-onnxruntime-gpu==1.31.1}  # the lent machine's build: CUDA 13, cuDNN 9
# large packages the lent machine's image holds (wheel names, KINDS.md, 2026-11-17): not bundled
IMAGE_HAS="numpy scipy pandas pillow matplotlib contourpy fonttools kiwisolver cycler pyparsing pyarrow
  scikit_learn joblib threadpoolctl opencv_python_headless pyyaml jinja2 markupsafe onnx protobuf ml_dtypes
  python_dateutil six"
IMAGE_HAS=$(echo $IMAGE_HAS)  # one line, names apart by one space

bundle() {
  local dir=$1 stage
  stage=$(mktemp -d)
  local models=${POSE_DEMO_MODEL_DIR:-../shared/models} data=${POSE_DEMO_DATA_DIR:-../shared/data}
  mkdir -p "$stage/wheels" "$stage/models" "$stage/data/images" "$stage/data/videos" "$dir"
  # requirements.txt with its dependencies, for the lent machine's Python 3.12, less the large packages its
  # image has (the device tool's KINDS.md): the CLI's benches, and the app served with gradio_client asking it
  grep -v '^filterpy' requirements.txt >"$stage/requirements.txt"
  "$PY" -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$stage/wheels" -r "$stage/requirements.txt" "$ORT_GPU"
  local wheel name
  for wheel in "$stage"/wheels/*.whl; do
    name=$(basename "$wheel" | cut -d- -f1 | tr 'A-Z.' 'a-z_')
    if [[ " $IMAGE_HAS " == *" $name "* ]]; then rm "$wheel"; fi
  done
  "$PY" -m pip wheel -q --no-deps -w "$stage/wheels" "filterpy==1.4.5"  # a source package: built here
  for name in picodet_s_192_lcnet_pedestrian picodet_s_320_lcnet_pedestrian tinypose_128x96 tinypose_256x192; do
    cp -r "$models/$name" "$stage/models/"
  done
  cp "$data"/images/*.jpg "$data"/images/*.png "$stage/data/images/"
  cp "$data/videos/squat_side_view.mp4" "$stage/data/videos/"
  tar -C "$stage" -cf - wheels models data | split -b 58m -d - "$stage/part-"
  local k=0
  for part in "$stage"/part-*; do
    k=$((k + 1))
    mkdir -p "$dir/$k"
    mv "$part" "$dir/$k/"
  done
  rm -rf "$stage"
  echo "$dir: $k parts ($(du -sh "$dir" | cut -f1)); carry one a call, see the top of this script"
}

install() {
  local bundle=$1
  if [ -n "$bundle" ]; then
    mkdir -p /tmp/gpu_payload
    cat "$bundle"/part-* | tar -C /tmp/gpu_payload -xf -
    "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site /tmp/gpu_payload/wheels/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
    local cuda  # the image's CUDA 13 libraries (nvidia-* packages), where the CUDA provider looks first
    cuda=$("$PY" -c 'import glob, site; print(":".join(glob.glob(site.getsitepackages()[0] + "/nvidia/**/lib", recursive=True)))')
    export LD_LIBRARY_PATH=$cuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export POSE_DEMO_MODEL_DIR=/tmp/gpu_payload/models POSE_DEMO_DATA_DIR=/tmp/gpu_payload/data
  elif [ "$DEVICE" = gpu ] && ! "$PY" -c \
    "import onnxruntime as o, sys; sys.exit('CUDAExecutionProvider' not in o.get_available_providers())"; then
    "$PY" -m pip install -q -r requirements.txt -r requirements-gpu.txt
  fi
}

equality() {
  "$PY" - <<'EOF'
"""Keypoints on DEVICE/RUNTIME against OpenVINO on the CPU, the shared images at threshold 0.3."""
import os
from pathlib import Path

import cv2
import numpy as np

from pose_demo import UniModel

images = Path(os.environ["POSE_DEMO_DATA_DIR"]) / "images"
device, runtime = os.environ["DEVICE"], os.environ["RUNTIME"]
for pair in [("picodet_s_192_lcnet_pedestrian", "tinypose_128x96"), ("picodet_s_320_lcnet_pedestrian", "tinypose_256x192")]:
    cpu, other = UniModel(*pair), UniModel(*pair, device=device, runtime=runtime)
    worst, persons, counts = 0.0, 0, []
    for path in sorted(images.glob("*.*g")):
        image = cv2.imread(str(path))
        expected, found = cpu.predict(image, 0.3).persons, other.predict(image, 0.3).persons
        if len(found) != len(expected):
            counts.append(f"{path.name}: {len(found)} persons, OpenVINO {len(expected)}")
            continue
        for a, b in zip(expected, found):
            worst = max(worst, float(np.abs(a.keypoints[:, :2] - b.keypoints[:, :2]).max()))
        persons += len(found)
    skiers = cv2.imread(str(images / "small_coco_val2017_000000361919_skiers_far.jpg"))
    boxes = np.array([p.box.as_xyxy() for p in cpu.predict(skiers, 0.3).persons], np.float32)
    batch = float(np.abs(cpu.keypoints.estimate(skiers, boxes) - other.keypoints.estimate(skiers, boxes))[..., :2].max())
    print(f"equality {pair[1]}: {persons} persons, max difference {worst:.3f} px; the skiers' {len(boxes)} crops batched: {batch:.3f} px")
    assert not counts and worst <= 1.0 and batch <= 1.0, f"not OpenVINO's: {counts or 'more than 1 px'}"
EOF
}

benches() {
  local out=$1 images=$POSE_DEMO_DATA_DIR/images video=$POSE_DEMO_DATA_DIR/videos/squat_side_view.mp4 frames=()
  [ -n "$VIDEO_FRAMES" ] && frames=(--max-frames "$VIDEO_FRAMES")
  for setting in "$RUNTIME:$DEVICE" openvino:cpu; do
    local flags=(--runtime "${setting%:*}" --device "${setting#*:}") name=${setting/:/_}
    "$PY" -m pose_demo.cli bench --image "$images/side_frame_squat_f0030_standing.jpg" --repeat "$REPEAT" \
      "${flags[@]}" --json "$out/bench1_$name.json" >/dev/null
    "$PY" -m pose_demo.cli bench --image "$images/small_coco_val2017_000000361919_skiers_far.jpg" \
      --det-threshold 0.3 --repeat "$REPEAT" "${flags[@]}" --json "$out/bench6_$name.json" >/dev/null
    "$PY" -m pose_demo.cli bench-video "$video" "${frames[@]}" "${flags[@]}" --json "$out/video_$name.json" \
      >/dev/null
    # the webcam without a browser (none there): a 30 frames/s camera, the live socket's server side
    "$PY" -m pose_demo.cli bench-webcam "$video" --client socket --fps 30 --seconds "$WEBCAM_S" --exercise squat \
      "${flags[@]}" --json "$out/webcam_$name.json" >/dev/null
  done
}

summary() {
  "$PY" - "$1" <<'EOF'
"""The figures of benches(), as the README's tables."""
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
print("| setting | persons | model ms | predict ms | e2e ms | detect ms | keypoints ms |")
print("|---|---|---|---|---|---|---|")
for path in sorted(out.glob("bench*.json")):
    r = json.loads(path.read_text())
    setting = path.stem.split("_", 1)[1]
    print(f"| {setting} | {r['persons']} | {r['model_ms']} | {r['predict_ms']} | {r['e2e_ms']} | "
          f"{r['stages']['detect']} | {r['stages']['keypoints']} |")
print("\n| setting | frames | frames/s (decode -> encode) |\n|---|---|---|")
for path in sorted(out.glob("video_*.json")):
    r = json.loads(path.read_text())
    print(f"| {path.stem.split('_', 1)[1]} | {r['frames']} | {r['fps']:.1f} |")
print("\n| setting | webcam frames/s answered (camera 30) | round trip median / p95 ms | the app's figures |")
print("|---|---|---|---|")
for path in sorted(out.glob("webcam_*.json")):
    (s,) = json.loads(path.read_text())["sessions"]
    print(f"| {path.stem.split('_', 1)[1]} | {s['fps']} | {s['latency_ms']['median']} / {s['latency_ms']['p95']} | "
          f"{' '.join(s['app_figures'].split())} |")
EOF
}

served() {
  "$PY" - "$1" <<'EOF'
"""The app served with --device DEVICE (as a Space sets it: $POSE_DEMO_DEVICE), asked a photo and a video."""
import json
import os
import sys
import time
from pathlib import Path

from gradio_client import Client, handle_file

from pose_demo.bench.served import served_app

data = Path(os.environ["POSE_DEMO_DATA_DIR"])
env = {"POSE_DEMO_DEVICE": os.environ["DEVICE"], "POSE_DEMO_RUNTIME": os.environ["RUNTIME"],
       "POSE_DEMO_EXAMPLES_DIR": str(data)}
work = Path(sys.argv[1]) / "app"
work.mkdir(parents=True, exist_ok=True)
with served_app(work, env) as url:
    client = Client(url, verbose=False)
    start = time.perf_counter()
    _, photo = client.predict(handle_file(str(data / "images/front_ochuman_000817_three_people_walking.jpg")),
                              api_name="/predict_image")
    photo_s = time.perf_counter() - start
    start = time.perf_counter()
    video, frames_json = client.predict(handle_file(str(data / "videos/squat_side_view.mp4")), exercise="squat",
                                        api_name="/predict_video")
    video_s = time.perf_counter() - start
frames = json.loads(Path(frames_json).read_text())
counts = [p["reps"]["count"] for p in frames["frames"][-1]["persons"] if "reps" in p]
print(f"app on {env['POSE_DEMO_DEVICE']}: the photo's {len(photo['persons'])} persons in {photo_s:.2f} s; "
      f"the squat clip ({len(frames['frames'])} frames, keypoint model {frames['video']['keypoint_model']['name']}) "
      f"in {video_s:.1f} s, squats counted {counts}")
print("\n".join(line for line in (work / "app.log").read_text().splitlines() if "The app:" in line))
assert len(photo["persons"]) == 3 and counts == [3], "not the CPU's answers (3 persons, 3 squats)"
EOF
}

check() {
  local out=${OUT:-$(mktemp -d)}
  mkdir -p "$out"
  export POSE_DEMO_MODEL_DIR=${POSE_DEMO_MODEL_DIR:-../shared/models}
  export POSE_DEMO_DATA_DIR=${POSE_DEMO_DATA_DIR:-../shared/data}
  install "${1:-}"
  export DEVICE RUNTIME PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  "$PY" -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_available_providers())"
  lscpu | grep -E "Model name" || true
  local equal=0
  time equality || equal=$?  # the figures are still worth the machine's time
  time served "$out" || equal=$?
  time benches "$out"
  summary "$out" | tee "$out/summary.md"
  return "$equal"
}

case "${1:-}" in
  bundle) bundle "${2:?a folder for the parts}" ;;
  check) check "${2:-}" ;;
  *) echo "usage: $0 check [BUNDLE] | bundle DIR" >&2; exit 2 ;;
esac
