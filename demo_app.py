"""The pose studio web app: ``python demo_app.py [--host 0.0.0.0] [--port 7860] [--share] [--device gpu]``.

Models come from ``POSE_DEMO_MODEL_DIR`` or are downloaded once into ``output_inference/``;
example media from ``POSE_DEMO_EXAMPLES_DIR`` or downloaded once (see ``docs/app.md``). They run on
OpenVINO on the CPU, or where ``--runtime`` / ``--device`` (``POSE_DEMO_RUNTIME`` / ``POSE_DEMO_DEVICE``) say.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence

from pose_demo.app import create_studio, serve
from pose_demo.app.loaded_models import place
from pose_demo.cli.common import add_runtime_args
from pose_demo.i18n import translate
from pose_demo.models.runtime import APP_DEVICES, APP_RUNTIMES, ModelRunError, RuntimeOptions
from pose_demo.models.store import ModelStoreError

log = logging.getLogger("demo_app")

DESCRIPTION = """\
The pose studio web app. Models come from $POSE_DEMO_MODEL_DIR or are downloaded once into
output_inference/; example media from $POSE_DEMO_EXAMPLES_DIR or downloaded once (see docs/app.md).
The models run on OpenVINO on the CPU, or on an NVIDIA GPU with --device gpu ($POSE_DEMO_DEVICE, for a
Space). The app has no authentication: anyone who can reach its address can use it."""

HOST_HELP = (
    "address to listen on (default 127.0.0.1, or $GRADIO_SERVER_NAME): only this computer can connect. "
    "0.0.0.0 exposes the app to the whole network, with no authentication"
)
SHARE_HELP = "also serve through a public gradio.live link (anyone with the link can use the app)"


def is_loopback(host: str) -> bool:
    """Whether ``host`` can be reached only from this computer."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any address
        return False


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--host", help=HOST_HELP)
    parser.add_argument("--port", type=int, help="port (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--share", action="store_true", help=SHARE_HELP)
    add_runtime_args(
        parser,
        APP_RUNTIMES,
        os.environ.get("POSE_DEMO_RUNTIME", "openvino"),
        os.environ.get("POSE_DEMO_DEVICE", "cpu"),
        APP_DEVICES,
    )
    args = parser.parse_args(argv)
    # argparse does not check defaults against the choices: one from the environment may be wrong
    for name, allowed in (("runtime", APP_RUNTIMES), ("device", APP_DEVICES)):
        if (value := getattr(args, name)) not in allowed:
            parser.error(f"$POSE_DEMO_{name.upper()} must be one of {', '.join(allowed)}, not {value!r}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    if not is_loopback(host) or args.share:
        where = "a public gradio.live link" if args.share else f"{host}, reachable from the network"
        log.warning(
            "The app is served on %s with no authentication: anyone who reaches it can use it.", where
        )
    runs_on = RuntimeOptions(args.runtime, args.device)
    try:
        studio = create_studio(runs_on=runs_on)
    except ModelStoreError as e:
        sys.exit(
            f"The app cannot start: its models are missing.\n\n{e}\n\nOffline, see README.md (Quick start)."
        )
    except ModelRunError as e:
        sys.exit(f"The app cannot start: {e}")
    log.info("The app: %s.", translate(f"ui.settings.runs_on.{place(runs_on)}"))
    serve(studio, args.host, args.port, args.share)


if __name__ == "__main__":
    main()
