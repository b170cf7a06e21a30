"""``lugang contract``: the event contract as JSON Schema, for producers outside Lugang."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from textwrap import dedent

from entrypoints.cli.common import STDOUT, Subparsers
from lugang.contract_schema import contract_json_schema
from lugang.settings import Settings


def _contract(args: argparse.Namespace) -> int:
    """Write the JSON Schema document to a file or to stdout."""
    text = json.dumps(contract_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.json_schema == STDOUT:
        sys.stdout.write(text)
    else:
        path = Path(args.json_schema)
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``contract``."""
    del settings  # the contract depends on the code alone
    contract = commands.add_parser(
        "contract",
        help="write the JSON Schema of the messages on Lugang's topics",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=dedent(
            """\
            Write the event contract (lugang/contract.py) as one JSON Schema document
            (draft 2020-12), for producers and consumers outside Lugang. Its $defs are
            keyed by topic kind: trains, containers and reefer (the input events, keyed by
            train_id or equipment_reference) and deadletter (what Lugang puts there); a
            message of kind K validates against {"$ref": "FILE#/$defs/K"}.

            The schema checks the shape: required and unknown fields, types, enumerations.
            Lugang also checks what needs the reference configuration: ISO 6346 check
            digits and size-type codes, known corridors, places and commodities, plausible
            ranges, the route rule, a UTC offset in every time, and the train fields of a
            LOAD or DISC (the field descriptions say which). So a message the schema
            accepts can still be dead-lettered; README.md, The event contract, has an
            example message of every kind, which a unit test validates against both."""
        ),
        epilog=dedent(
            """\
            examples:
              lugang contract --json-schema                  print it
              lugang contract --json-schema contract.json    write it to a file"""
        ),
    )
    what = contract.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--json-schema",
        nargs="?",
        const=STDOUT,
        metavar="FILE",
        help="write the JSON Schema to FILE, or to stdout when FILE is - or left out",
    )
    contract.set_defaults(handler=_contract)
