"""The ``turnaround`` command: setup and operations without manage.py.

``turnaround demo``, ``turnaround serve``, ``turnaround createadmin`` and every Django management
command (``turnaround migrate``, ``turnaround check --deploy`` …). ``turnaround help`` lists them.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnaround.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["turnaround", *args])


if __name__ == "__main__":
    main()
