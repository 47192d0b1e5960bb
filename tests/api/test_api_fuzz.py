"""Schemathesis against the API's own OpenAPI document, bounded: generated requests (valid and malformed
dates, amounts, bodies) never get a 500, and a refused request writes nothing."""
import atexit
import shutil
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from conftest import SEED
from loanbook.api.app import create_app
from loanbook.store.store import Store
from loanbook.store.users import add_user


def _world():
    """A store with the seed and an agent's token, made when the module is collected (the schema is read then)."""
    folder = tempfile.mkdtemp(prefix="loanbook-fuzz-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store = Store(f"sqlite:///{folder}/store.db")
    store.import_folder(SEED)
    _, agent = add_user(store, "hsbc-ops", "agent", ["iec-2002"])
    return store, create_app(store), agent


STORE, APP, TOKEN = _world()
# One test per operation, each with its own id: pytest-xdist schedules tests by id (schemathesis's own
# `parametrize` gives every operation the same one, and a run on several workers would keep one of them).
OPERATIONS = [result.ok() for result in schemathesis.openapi.from_asgi("/openapi.json", APP).get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_request_gets_a_server_error_or_half_writes(operation, data):
    store = STORE
    case = data.draw(operation.as_strategy())
    if "facility_id" in (case.path_parameters or {}):
        case.path_parameters["facility_id"] = "iec-2002"  # the facility the token may use: the checks go deep
    before = store.get("iec-2002").events
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        assert store.get("iec-2002").events == before
