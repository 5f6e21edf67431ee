"""Schemathesis reads /openapi.json and generates requests for every operation: no 5xx, and every
response, error or not, matches the schema it is documented with.

Schema-valid requests may still be refused (an all-blank question, a control character, an id that does
not exist): the schema cannot say everything, so that check is left out; its refusals are sentences too."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from index.engine import Engine
from service.app import create_app
from service.settings import Settings

OPERATIONS = [
    ("GET", "/healthz"),
    ("GET", "/api/search"),
    ("POST", "/api/ask"),
    ("POST", "/api/chat"),
    ("GET", "/api/passages/{passage_id}"),
    ("GET", "/api/documents/{doc_id}"),
]


@pytest.fixture(scope="module")
def app(small_index: Path, small_engine: Engine) -> FastAPI:
    """An app of its own: schemathesis runs the lifespan per call, which would mark a shared app not ready."""
    return create_app(Settings(index_dir=small_index), engine=small_engine)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_keeps_its_contract(app: FastAPI, method: str, path: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]
    strategy = operation.as_strategy()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy)
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    run()
