"""The committed openapi.json is the API's contract: it must match the code and state the rules."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from turnaround.api.management.commands.openapi import (
    default_output,
    render_schema,
    schema_diff,
)

REFRESH = "run `TURNAROUND_DATA_DIR=var turnaround openapi` and commit openapi.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(render_schema())


def test_committed_schema_matches_the_code():
    committed = default_output()
    assert committed.exists(), f"openapi.json is missing at the repository root; {REFRESH}"
    text, generated = committed.read_text(encoding="utf-8"), render_schema()
    if text != generated:
        pytest.fail(
            f"openapi.json differs from the schema the API generates; {REFRESH}.\n"
            + schema_diff(text, generated, name="openapi.json"),
            pytrace=False,
        )


def test_identifier_patterns_are_documented(schema):
    components = schema["components"]["schemas"]

    def patterns(name: str, prop: str) -> set[str]:
        field = components[name]["properties"][prop]
        options = field.get("anyOf", [field])
        return {o["pattern"] for o in options if "pattern" in o}

    assert patterns("SchoolOut", "nces_id") == {r"^\d{12}$"}
    assert patterns("SchoolDetailOut", "nces_id") == {r"^\d{12}$"}
    assert patterns("DistrictRef", "nces_leaid") == {r"^\d{7}$"}
    assert patterns("DistrictOut", "nces_leaid") == {r"^\d{7}$"}
    assert patterns("StateOut", "code") == {"^[A-Z]{2}$"}
    state_code = next(
        p
        for p in schema["paths"]["/api/v1/states/{code}"]["get"]["parameters"]
        if p["name"] == "code"
    )
    assert state_code["schema"]["pattern"] == "^[A-Za-z]{2}$"


#: the only operations without sign-in: the public directory of Priority Partners (issue 7 §1),
#: which shows what the state publishes anyway and no student data
PUBLIC_OPERATIONS = {("get", "/api/v1/directory/{state_code}")}


def test_every_operation_requires_token_or_session(schema):
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert schema["components"]["securitySchemes"]["SessionAuth"]["in"] == "cookie"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if (method, path) in PUBLIC_OPERATIONS:
                assert "security" not in operation, f"{method.upper()} {path} is public"
                continue
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (
                f"{method.upper()} {path} must require a token or a session"
            )
            assert "401" in operation["responses"], f"{method.upper()} {path} documents no 401"


def test_school_filters_document_their_allowed_values(schema):
    params = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/schools"]["get"]["parameters"]
    }
    assert set(params) == {
        "q",
        "state",
        "district",
        "type",
        "level",
        "title_i",
        "charter",
        "sort",
        "limit",
        "offset",
    }
    assert "HS" in params["type"]["enum"]
    assert "insufficient" in params["level"]["enum"]
    assert "-percentile" in params["sort"]["enum"]
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 500)


def test_check_command_passes_when_up_to_date_and_fails_with_a_diff(tmp_path, capsys):
    target = tmp_path / "openapi.json"

    call_command("openapi", output=target)
    call_command("openapi", output=target, check=True)
    written = target.read_text(encoding="utf-8")
    assert written.endswith("}\n")
    assert json.loads(written) == json.loads(render_schema())

    target.write_text(written.replace('"title": "turnaround API"', '"title": "stale"'))
    with pytest.raises(CommandError) as failure:
        call_command("openapi", output=target, check=True)
    message = str(failure.value)
    assert failure.value.returncode == 1
    assert "out of date" in message
    assert "turnaround openapi" in message
    assert '-    "title": "stale"' in message
    assert '+    "title": "turnaround API"' in message
    # --check writes nothing
    assert '"title": "stale"' in target.read_text(encoding="utf-8")


def test_check_command_fails_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="does not exist") as failure:
        call_command("openapi", output=tmp_path / "openapi.json", check=True)
    assert failure.value.returncode == 1
