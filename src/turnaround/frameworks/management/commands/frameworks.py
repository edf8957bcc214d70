"""``turnaround frameworks``: the framework library from the command line.

- ``turnaround frameworks seed`` loads the project's scales, focus-area taxonomy and frameworks
  (idempotent: a second run changes nothing).
- ``turnaround frameworks list [--state MA]`` lists the shared frameworks (and a state's own) with
  their versions and status.
- ``turnaround frameworks export KEY [--version N] [--format yaml|json] [--output FILE]
  [--state MA]`` writes a version (default: the published one) in the import schema.
- ``turnaround frameworks import FILE [--state MA]`` stores a YAML or JSON file as a new draft
  version of the framework with its key (or a new framework); it prints every problem with its
  location and writes nothing when there is one.
- ``turnaround frameworks publish KEY --version N [--state MA]`` publishes a draft (the previous
  published version is retired).

Without ``--state`` the commands work on the shared frameworks every state may use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks import io
from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.frameworks.problems import FrameworkError
from turnaround.frameworks.seed import frameworks_seed
from turnaround.frameworks.services import framework_import_text, framework_version_publish
from turnaround.organizations.models import State


def _state(code: str | None) -> State | None:
    if not code:
        return None
    state = State.objects.filter(code=code.upper()).first()
    if state is None:
        raise CommandError(f"No state {code!r}.")
    return state


def _framework(key: str, state: State | None) -> Framework:
    framework = Framework.objects.filter(key=key, state=state).first()
    if framework is None:
        scope = f"{state.code}'s" if state else "the shared"
        known = ", ".join(Framework.objects.filter(state=state).values_list("key", flat=True))
        raise CommandError(
            f"No framework {key!r} among {scope} frameworks (known: {known or 'none'})."
        )
    return framework


def _problems(exc: FrameworkError) -> CommandError:
    lines = "\n".join(f"  - {p}" for p in exc.problems)
    word = "problem" if len(exc.problems) == 1 else "problems"
    return CommandError(f"{len(exc.problems)} {word}; nothing was written:\n{lines}")


class Command(BaseCommand):
    help = "Frameworks: seed the project's frameworks, list, export, import and publish versions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{seed,list,export,import,publish}"
        )
        sub.add_parser("seed", help="load the seeded scales, taxonomy and frameworks")

        listing = sub.add_parser("list", help="frameworks with their versions and status")
        listing.add_argument("--state", default=None, help="also a state's own frameworks")

        export = sub.add_parser("export", help="write a version in the import schema")
        export.add_argument("key", help="the framework's key, e.g. turnaround-practices")
        export.add_argument("--version", type=int, default=None, help="default: the published one")
        export.add_argument("--format", choices=io.FORMATS, default="yaml", dest="fmt")
        export.add_argument("--output", default=None, help="file to write (default: stdout)")
        export.add_argument("--state", default=None, help="a state's own framework")

        imp = sub.add_parser("import", help="store a YAML or JSON file as a new draft version")
        imp.add_argument("file", help="a .yaml, .yml or .json file")
        imp.add_argument("--state", default=None, help="import into this state's frameworks")

        publish = sub.add_parser("publish", help="publish a draft version")
        publish.add_argument("key")
        publish.add_argument("--version", type=int, required=True)
        publish.add_argument("--state", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _seed(self, options: dict[str, Any]) -> None:
        result = frameworks_seed(actor=None)
        for label, lines in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
            ("skipped", result.skipped),
        ):
            for line in lines:
                self.stdout.write(f"{label:>9}  {line}")
        self.stdout.write("Seeded." if result.changed else "Nothing to do: the seeds are loaded.")

    def _list(self, options: dict[str, Any]) -> None:
        state = _state(options["state"])
        frameworks = Framework.objects.filter(state__isnull=True)
        if state is not None:
            frameworks = frameworks | Framework.objects.filter(state=state)
        for framework in frameworks.select_related("state").order_by("state__code", "key"):
            scope = framework.state.code if framework.state else "shared"
            versions = ", ".join(
                f"v{v.number} {v.status}" for v in framework.versions.order_by("number")
            )
            self.stdout.write(f"{scope:<7} {framework.key:<28} {framework.name} — {versions}")

    def _export(self, options: dict[str, Any]) -> None:
        framework = _framework(options["key"], _state(options["state"]))
        versions = framework.versions.select_related("scale", "framework__state")
        if options["version"] is not None:
            version = versions.filter(number=options["version"]).first()
        else:
            version = (
                versions.filter(status=FrameworkVersion.Status.PUBLISHED).first()
                or versions.order_by("-number").first()
            )
        if version is None:
            raise CommandError(f"{framework.name} has no version {options['version']}.")
        text = io.dumps(io.version_document(version), options["fmt"])
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {framework.name} v{version.number} to {options['output']}.")
        else:
            self.stdout.write(text, ending="")

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            result = framework_import_text(
                actor=None,
                text=path.read_bytes(),
                state=_state(options["state"]),
                filename=path.name,
            )
        except FrameworkError as exc:
            raise _problems(exc) from exc
        counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
        what = "new framework" if result.created_framework else "new draft version"
        self.stdout.write(
            f"Imported {result.framework.name} v{result.version.number} ({what}, draft): {counts}."
        )

    def _publish(self, options: dict[str, Any]) -> None:
        framework = _framework(options["key"], _state(options["state"]))
        version = framework.versions.filter(number=options["version"]).first()
        if version is None:
            raise CommandError(f"{framework.name} has no version {options['version']}.")
        try:
            framework_version_publish(actor=None, version=version)
        except FrameworkError as exc:
            raise _problems(exc) from exc
        except StaleEditError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Published {framework.name} v{version.number}.")
