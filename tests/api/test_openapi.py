"""``/openapi.json`` documents every endpoint: parameters described, responses with schemas."""

import pytest


@pytest.fixture(scope="module")
def operations(client) -> list[tuple[str, str, dict]]:
    document = client.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_parameter_has_a_description(operations):
    undocumented = [
        (method, path, parameter["name"])
        for method, path, operation in operations
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert undocumented == []


def test_every_success_response_has_a_schema(operations):
    missing = [
        (method, path)
        for method, path, operation in operations
        if not any(
            content.get("schema")
            for content in operation["responses"].get("200", {}).get("content", {}).values()
        )
    ]
    assert missing == []


def test_parameterised_endpoints_document_their_error_body(operations):
    for method, path, operation in operations:
        if operation.get("parameters") or operation.get("requestBody"):
            schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody"), (method, path)


def test_the_core_routes_are_documented(operations):
    paths = {path for _, path, _ in operations}
    assert {
        "/collections/{collection_id}/items",
        "/counties/{fips}",
        "/query/point",
        "/query/bulk",
        "/stats/correlation",
        "/stats/moran",
    } <= paths
