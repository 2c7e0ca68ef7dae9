"""Frozen entry point: what PyInstaller runs, the same as the `sp-desktop` console script."""

from __future__ import annotations

import sys

from sp_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
