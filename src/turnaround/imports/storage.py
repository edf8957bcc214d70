"""Uploaded files under the data directory (``<DATA_DIR>/imports/<random>/<name>``), each with
its SHA-256, and the state's key for pseudonymising student ids.

Files are written as they arrive (in blocks), so an upload of any size needs no more memory than
one block; an upload over ``IMPORT_MAX_BYTES`` (default 2 GiB) is refused and removed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.text import get_valid_filename

from turnaround.organizations.models import State

IMPORTS_DIR = "imports"
DEFAULT_MAX_BYTES = 2 * 1024**3
BLOCK = 1 << 20


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


@dataclass(frozen=True)
class StoredFile:
    relative_path: str
    sha256: str
    size: int

    @property
    def path(self) -> Path:
        return data_dir() / self.relative_path


def safe_name(name: str) -> str:
    base = Path(name or "upload").name
    cleaned = get_valid_filename(base) if base.strip(". ") else "upload"
    stem, suffix = os.path.splitext(cleaned)
    return stem[: 120 - len(suffix[:10])] + suffix[:10]


def store(blocks: Iterable[bytes], name: str) -> StoredFile:
    """Write ``blocks`` to a new file named like ``name``; its checksum and size."""
    folder = Path(IMPORTS_DIR) / uuid.uuid4().hex
    (data_dir() / folder).mkdir(parents=True, exist_ok=False)
    relative = folder / safe_name(name)
    target = data_dir() / relative
    digest = hashlib.sha256()
    size = 0
    limit = max_bytes()
    try:
        with target.open("wb") as out:
            for block in blocks:
                size += len(block)
                if size > limit:
                    raise ValidationError(
                        {"file": f"the file is larger than {limit / 1024**2:,.0f} MB"}
                    )
                digest.update(block)
                out.write(block)
    except BaseException:
        shutil.rmtree(data_dir() / folder, ignore_errors=True)
        raise
    return StoredFile(str(relative), digest.hexdigest(), size)


def store_path(source: Path) -> StoredFile:
    """Copy a file from the local disk (the CLI) into the data directory."""
    with source.open("rb") as handle:
        return store(iter(lambda: handle.read(BLOCK), b""), source.name)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def remove(relative_path: str) -> None:
    if relative_path:
        shutil.rmtree((data_dir() / relative_path).parent, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Pseudonyms


def _platform_key() -> bytes:
    configured = getattr(settings, "STUDENT_PSEUDONYM_KEY", "") or os.environ.get(
        "STUDENT_PSEUDONYM_KEY", ""
    )
    if configured:
        return configured.encode("utf-8")
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(
            "STUDENT_PSEUDONYM_KEY is required in production to import student-level files"
        )
    key_file = data_dir() / "pseudonym_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode("utf-8")


def pseudonym_key(state: State) -> str:
    """The key that turns the state's student ids into pseudonymous keys (never stored on a job).

    The same for every file of the state, so a student's years link up; it must be kept (and
    backed up) with the database: without it, new files' keys would not match the stored ones.
    """
    return hmac.new(_platform_key(), f"students:{state.code}".encode(), hashlib.sha256).hexdigest()
