"""``rules list``: the rules of a catalog or rule file."""

from __future__ import annotations

import argparse
from typing import Any

from pose_demo.rules import catalog_table


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser("rules", help="posture rule catalogs")
    rules_sub = p.add_subparsers(dest="rules_command", required=True)
    p = rules_sub.add_parser("list", help="print the rules of a catalog")
    p.add_argument("catalog", nargs="?", default="default", help="built-in name or YAML file")
    p.set_defaults(func=cmd_rules_list)


def cmd_rules_list(args: argparse.Namespace) -> int:
    print(catalog_table(args.catalog))
    return 0
