"""The readers, by key: every file layout the imports understand (see ``base.Reader``).

Add a reader by importing its class and listing an instance in ``_ALL``; the import pages, the
API and ``turnaround import --list`` pick it up from :data:`READERS`.
"""

from __future__ import annotations

from turnaround.imports.readers.base import Reader
from turnaround.imports.readers.ca_essa import CaEssaReader
from turnaround.imports.readers.edfi import EdfiReader
from turnaround.imports.readers.ma_mcas import MaMcasReader
from turnaround.imports.readers.ma_profiles import MaProfilesReader
from turnaround.imports.readers.nces_ccd import NcesCcdReader
from turnaround.imports.readers.students import StudentsReader
from turnaround.imports.readers.template import ResultsTemplateReader
from turnaround.imports.readers.tx_camprate import TxCamprateReader

_ALL: tuple[Reader, ...] = (
    ResultsTemplateReader(),
    MaMcasReader(),
    MaProfilesReader(),
    TxCamprateReader(),
    CaEssaReader(),
    NcesCcdReader(),
    EdfiReader(),
    StudentsReader(),
)

READERS: dict[str, Reader] = {reader.key: reader for reader in _ALL}
