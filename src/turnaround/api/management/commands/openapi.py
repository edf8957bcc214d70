"""``turnaround openapi``: write the API's OpenAPI schema to the committed ``openapi.json``.

``turnaround openapi --check`` writes nothing and exits 1 when the committed file differs from
the schema the code generates (CI runs it so the contract never drifts silently).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

#: Lines of unified diff shown when the check fails; the rest is summarised.
DIFF_LINES = 40


def default_output() -> Path:
    """``openapi.json`` at the repository root."""
    return Path(settings.PACKAGE_DIR).parent.parent / "openapi.json"


def render_schema() -> str:
    """The schema as committed: sorted keys, two-space indent, UTF-8, trailing newline."""
    from turnaround.api.router import api

    schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_diff(committed: str, generated: str, *, name: str, limit: int = DIFF_LINES) -> str:
    """A short unified diff from the committed file to the generated schema."""
    lines = list(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile=f"{name} (committed)",
            tofile=f"{name} (generated)",
            n=2,
        )
    )
    shown = "".join(lines[:limit])
    if len(lines) > limit:
        shown += f"… {len(lines) - limit} more diff lines\n"
    return shown


class Command(BaseCommand):
    help = "Write the API's OpenAPI schema to openapi.json, or check that it is up to date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="where to write (default: openapi.json at the repository root)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 if the file differs from the generated schema",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"] or default_output()
        generated = render_schema()
        if options["check"]:
            if not output.exists():
                raise CommandError(
                    f"{output} does not exist; run `turnaround openapi` to create it.",
                    returncode=1,
                )
            committed = output.read_text(encoding="utf-8")
            if committed != generated:
                diff = schema_diff(committed, generated, name=output.name)
                raise CommandError(
                    f"{output} is out of date with the API; run `turnaround openapi` to "
                    f"refresh it and commit the result.\n{diff}",
                    returncode=1,
                )
            self.stdout.write(f"{output} is up to date.")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(generated, encoding="utf-8")
        self.stdout.write(f"Wrote {output}.")
