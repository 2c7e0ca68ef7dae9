"""Frozen entry point: what PyInstaller runs, the same as the `sp-desktop` console script."""

from __future__ import annotations

import sys


def main() -> int:
    from sp_desktop.cli import build_parser
    from sp_desktop.cli import main as cli_main

    argv = sys.argv[1:]
    if "--self-test" in argv:
        # Until cli.py knows --self-test, answer it here so the frozen build can always be checked.
        _, unknown = build_parser().parse_known_args(["--self-test"])
        if unknown:
            from sp_desktop.selftest import run_self_test

            return run_self_test()
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
