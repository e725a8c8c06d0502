"""Every endpoint fuzzed from the app's own OpenAPI document, in process (ASGI).

Schemathesis generates valid and invalid requests for each operation; every answer must not be
a 5xx and must match what the document declares for its status code: body schema, content type,
headers, and an ``Allow`` header on a 405. One check is left out, ``positive_data_acceptance``:
some schema-valid inputs are refused by design with a 422 that says why (a state that is not
served, a filter the collection does not have, a statistic over too few counties, a
self-intersecting polygon, a radius over the configured maximum), which JSON Schema cannot express.

The run is derandomised so that CI is reproducible; the limits are small so that generated
inputs can reach every 413 and 422 bound.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.factory import create_app
from tests.api.store import app_settings

pytestmark = pytest.mark.slow

EXAMPLES_PER_ENDPOINT = 100
"""Generated requests per endpoint; one without parameters has a single request to make."""

APP = create_app(
    app_settings(
        default_limit=10,
        max_limit=50,
        max_bulk_points=100,
        max_polygon_vertices=200,
        max_body_bytes=64 * 1024,
        max_radius_m=100_000,
    )
)
# The document is taken from the app object rather than fetched, so collecting this module does
# not load the snapshot; the app's lifespan starts with the first generated request.
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ENDPOINT,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_endpoint_never_fails_and_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
