"""The writers, one per target table (see ``turnaround.imports.targets``)."""

from __future__ import annotations

from turnaround.imports.writers.base import Writer
from turnaround.imports.writers.determinations import DeterminationsWriter
from turnaround.imports.writers.profiles import ProfilesWriter
from turnaround.imports.writers.results import ResultsWriter
from turnaround.imports.writers.schools import SchoolsWriter
from turnaround.imports.writers.students import StudentsWriter

WRITERS: dict[str, type[Writer]] = {
    w.target: w
    for w in (SchoolsWriter, ProfilesWriter, ResultsWriter, DeterminationsWriter, StudentsWriter)
}

#: The order targets are written in: schools first, so the others can find them.
TARGET_ORDER: tuple[str, ...] = ("schools", "profiles", "results", "determinations", "students")
