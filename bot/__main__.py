"""`intake` console script: parse arguments and run; the work lives in bot.cli."""

from __future__ import annotations

import sys

from bot.cli import run


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
