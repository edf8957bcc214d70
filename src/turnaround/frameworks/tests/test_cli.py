"""``turnaround frameworks seed|list|export|import|publish``."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from turnaround.frameworks import io
from turnaround.frameworks.models import Framework, FrameworkVersion

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("frameworks", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_list(tp, ma_draft):
    out = run("list", "--state", "MA")
    assert "shared  turnaround-practices" in out and "v1 published" in out
    assert "MA      turnaround-practices" in out and "v1 draft" in out
    assert "MA " not in run("list")


def test_export_to_stdout_and_file(tp, tmp_path):
    assert yaml.safe_load(run("export", "turnaround-practices")) == io.version_document(tp)
    target = tmp_path / "tp.json"
    run(
        "export",
        "turnaround-practices",
        "--version",
        "1",
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert json.loads(target.read_text())["practices"][0]["code"] == "TP1"
    with pytest.raises(CommandError, match="No framework 'nope'"):
        run("export", "nope")
    with pytest.raises(CommandError, match="has no version 7"):
        run("export", "turnaround-practices", "--version", "7")


def test_import_then_publish(tp, org, tmp_path):
    path = tmp_path / "ma.yaml"
    path.write_text(io.dumps(io.version_document(tp), "yaml"))

    out = run("import", str(path), "--state", "MA")

    assert "Imported Turnaround Practices v1 (new framework, draft): 4 practices" in out
    framework = Framework.objects.get(state=org.state)
    assert run("publish", "turnaround-practices", "--version", "1", "--state", "MA").startswith(
        "Published Turnaround Practices v1."
    )
    assert framework.versions.get().status == "published"
    out = run("import", str(path), "--state", "MA")
    assert "v2 (new draft version, draft)" in out
    with pytest.raises(CommandError, match="is published and cannot be changed"):
        run("publish", "turnaround-practices", "--version", "1", "--state", "MA")


def test_import_lists_every_problem_and_writes_nothing(seeded, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"key": "Bad Key", "practices": []}))
    with pytest.raises(CommandError) as excinfo:
        run("import", str(path))
    message = str(excinfo.value)
    assert message.startswith("4 problems; nothing was written:")
    assert "  - key: 'Bad Key': A key is lower-case letters" in message
    assert "  - name: is required" in message
    assert "  - scale: is required" in message
    assert "  - practices: a framework needs at least one practice" in message
    assert FrameworkVersion.objects.count() == 2
    with pytest.raises(CommandError, match="No state 'ZZ'"):
        run("import", str(path), "--state", "ZZ")
