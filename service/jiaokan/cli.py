"""The `jiaokan` command: a thin dispatcher over `jiaokan.commands.*`.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(arguments) -> int``; modules are imported only when their command runs, so
``jiaokan --help`` stays fast. Errors jiaokan raises on purpose become one line on
stderr and exit code 2; nothing reaches the user as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from jiaokan.errors import JiaokanError

#: command name -> (module under jiaokan.commands, one-line help)
COMMANDS = {
    "clean": ("clean", "clean a folder (or files) of OCR text; write cleaned texts and their edits"),
    "apply": ("apply", "write final texts from the review store, with the decisions people took"),
    "serve": ("serve", "run the HTTP API and the review page"),
    "eval": ("evaluate", "measure the character error rate of texts against a gold standard"),
}


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand's arguments."""
    parser = argparse.ArgumentParser(prog="jiaokan", description="Collate, repair and normalise OCR-ed Chinese text.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"jiaokan.commands.{module_name}")
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(subparser)
        subparser.set_defaults(module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    arguments = build_parser().parse_args(argv)
    try:
        return int(arguments.module.run(arguments) or 0)
    except JiaokanError as error:
        print(f"jiaokan {arguments.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jiaokan {arguments.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
