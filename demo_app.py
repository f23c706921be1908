"""The pose studio web app: ``python demo_app.py [--host 0.0.0.0] [--port 7860] [--share]``.

Models come from ``POSE_DEMO_MODEL_DIR`` or are downloaded once into ``output_inference/``;
example media from ``POSE_DEMO_EXAMPLES_DIR`` or downloaded once (see ``docs/app.md``).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence

from pose_demo.app import create_studio, serve
from pose_demo.models.store import ModelStoreError

log = logging.getLogger("demo_app")

DESCRIPTION = """\
The pose studio web app. Models come from $POSE_DEMO_MODEL_DIR or are downloaded once into
output_inference/; example media from $POSE_DEMO_EXAMPLES_DIR or downloaded once (see docs/app.md).
The app has no authentication: anyone who can reach its address can use it."""

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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    if not is_loopback(host) or args.share:
        where = "a public gradio.live link" if args.share else f"{host}, reachable from the network"
        log.warning(
            "The app is served on %s with no authentication: anyone who reaches it can use it.", where
        )
    try:
        studio = create_studio()
    except ModelStoreError as e:
        sys.exit(
            f"The app cannot start: its models are missing.\n\n{e}\n\nOffline, see README.md (Quick start)."
        )
    serve(studio, args.host, args.port, args.share)


if __name__ == "__main__":
    main()
