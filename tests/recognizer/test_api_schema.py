"""The OpenAPI schema and the interactive docs: every endpoint is described, the schema is
valid OpenAPI 3, and the docs page works offline (Swagger UI from our static files)."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"
ENDPOINTS = {
    ("post", "/api/v1/predict"),
    ("get", "/api/v1/submissions"),
    ("get", "/api/v1/submissions/{submission_id}"),
    ("delete", "/api/v1/submissions/{submission_id}"),
    ("post", "/api/v1/submissions/{submission_id}/correction"),
    ("get", "/api/v1/submissions/{submission_id}/image"),
    ("get", "/api/v1/submissions/{submission_id}/input.png"),
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get(SCHEMA)  # public: a program reads it before it has a token
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_schema_lists_every_endpoint_and_nothing_else(schema):
    described = {(method, path) for path, operations in schema["paths"].items() for method in operations}
    assert described == ENDPOINTS
    assert schema["info"]["title"] == "Digits API" and schema["info"]["version"] == "1"


def test_every_endpoint_takes_a_token_or_the_session(schema):
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "dgt_... (a personal token from /account/tokens/)"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"BearerToken": []}, {"SessionWithCsrf": []}], (method, path)
            assert "401" in operation["responses"] and "404" in operation["responses"]


def test_predict_documents_both_bodies_the_mode_and_its_errors(schema):
    predict = schema["paths"]["/api/v1/predict"]["post"]
    content = predict["requestBody"]["content"]
    assert content["multipart/form-data"]["schema"]["properties"]["image"]["format"] == "binary"
    assert content["application/json"]["schema"]["required"] == ["image"]
    assert [p["name"] for p in predict["parameters"]] == ["mode"]
    assert {"201", "400", "401", "403", "411", "413", "415", "429", "503"} <= set(predict["responses"])
    created = predict["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/PredictionOut")


def test_the_list_documents_its_filters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/submissions"]["get"]["parameters"]}
    assert parameters == {"page", "page_size", "digit", "source", "mode", "corrected"}
    page = schema["components"]["schemas"]["SubmissionPage"]["properties"]
    assert {"count", "next", "previous", "results"} <= set(page)


def test_the_docs_page_needs_no_internet(client, settings):
    # WhiteNoise serving from the apps' folders, as in development (production serves the
    # collected copies: tests/recognizer/test_production.py).
    settings.WHITENOISE_USE_FINDERS = True
    response = client.get(DOCS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Digits API</title>" in page
    assert json.loads(re.search(r'id="swagger-settings">(.*?)</script>', page, re.S)[1])["url"] == SCHEMA
    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assets = [link for link in links if link.startswith("/static/ninja/")]
    assert {"/static/ninja/swagger-ui.css", "/static/ninja/swagger-ui-bundle.js",
            "/static/ninja/swagger-ui-init.js"} <= set(assets)
    # Nothing fetched from elsewhere (django-ninja's default loads Swagger UI from a CDN).
    # Checked on the links, not by searching the page for "cdn": its random CSRF token
    # sometimes holds those three letters.
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links), links
    assert "http://" not in page and "https://" not in page
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(b"".join(served.streaming_content)) > 1000 or asset.endswith(".svg")


def test_the_docs_page_fits_a_phone_and_leads_back_to_the_site(client):
    page = client.get(DOCS).content.decode()

    # Without a viewport a phone lays the page out 980 px wide and shrinks it to fit.
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'href="/"' in page
    assert 'href="/account/tokens/">API tokens</a>' in page


def test_the_docs_page_lets_a_signed_in_user_try_writes(user_client):
    """Swagger UI sends the page's CSRF token as X-CSRFToken, so "Try it out" works with
    the session, as the draw page does."""
    page = user_client.get(DOCS).content.decode()
    token = re.search(r'data-csrf-token="([^"]*)"', page)[1]
    assert len(token) >= 32
