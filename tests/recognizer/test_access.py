"""Who may see what, over every URL the site has: anonymous visitors only the landing,
sign-up and login pages; users only their own submissions; staff pages only staff; and
no state-changing request without the CSRF token.

The URL tables are built from the URL configuration itself, so a new page is covered
(and must be classified here) the day it is added.
"""

import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve

from recognizer.models import ModelVersion, Submission

pytestmark = pytest.mark.django_db

PUBLIC = {"recognizer:home", "signup", "login", "admin:login", "api:openapi-json", "api:openapi-view"}
# The API (recognizer/api.py): each endpoint and the hidden one that answers its other
# methods with a JSON 405 (after the login check); two names older than its namespace.
API_ENDPOINTS = ["predict", "submissions", "submission", "correction", "submission_image", "submission_model_input"]
API = (
    {f"api:{name}" for name in API_ENDPOINTS}
    | {f"api:{name}-not-allowed" for name in API_ENDPOINTS}
    | {"api:submission_delete", "api-predict", "api-correction"}
)
NOT_FOUND = {"api:api-root"}  # django-ninja's root, there only to locate the API: JSON 404
POST_ONLY = {"logout"}  # Django's LogoutView: 405 for a GET, whoever asks
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def url_patterns(resolver=None, prefix="", namespace=None):
    """(route, name) of every URL pattern, admin's included; unnamed ones by route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern), pattern.namespace or namespace)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name or prefix + str(pattern.pattern)


PATTERNS = sorted(set(url_patterns()))


def concrete_path(route: str, values: dict) -> str:
    """The route with every parameter filled from ``values`` (by parameter name)."""

    def value(match):
        name = match[1]
        assert name in values, f"add a sample value for the URL parameter {name!r}"
        return str(values[name])

    path = CONVERTER.sub(value, REGEX_GROUP.sub(value, route))
    return "/" + path.replace("^", "").replace("$", "").replace("/?", "")


@pytest.fixture
def owner(django_user_model, password):
    return django_user_model.objects.create_user(username="owner", password=password)


@pytest.fixture
def owners_submission(owner, make_submission):
    return make_submission(user=owner, digit=7)


@pytest.fixture
def path_values(owners_submission):
    version = ModelVersion.objects.get(is_active=True).version
    return {
        "submission_id": owners_submission.pk,
        "token_id": 1,  # an API token (refused before anyone looks it up)
        "position": 0,  # a number's digit (the owner's digit submission has none: 404 to the owner too)
        "version": version,
        "object_id": owners_submission.pk,
        "content_type_id": 1,
        "id": owners_submission.user_id,
        "kind": "image",
        "app_label": "recognizer",
        "url": "nowhere/",
    }


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[name for _, name in PATTERNS])
def test_anonymous_get_of_every_url(client, path_values, route, name):
    path = concrete_path(route, path_values)
    # (Django drops a nested regex's "^" from the route it reports.)
    assert resolve(path).route.replace("^", "") == route.replace("^", ""), "the path must reach this pattern"

    response = client.get(path)

    if name in PUBLIC:
        assert response.status_code == 200
    elif name in API:
        assert response.status_code == 401
        assert response.json() == {"error": response.json()["error"]}
    elif name in POST_ONLY:
        assert response.status_code == 405
    elif name in NOT_FOUND:
        assert response.status_code == 404
    elif route.startswith("admin/"):
        assert response.status_code == 302
        # The admin's logout sends anonymous visitors to its index, which asks them to log in.
        assert response["Location"].startswith("/admin/login/") or name == "admin:logout"
    else:
        assert response.status_code == 302, f"{path} must ask for a login"
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[name for _, name in PATTERNS])
def test_every_post_without_the_csrf_token_is_refused(django_user_model, path_values, route, name):
    superuser = django_user_model.objects.create_superuser(username="root", password="x-Admin-pass-77")
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    client.get("/")  # a CSRF cookie, but no token in the request

    response = client.post(concrete_path(route, path_values), {"true_digit": "3", "force": "on"})

    assert response.status_code == 403
    if name in API or route.startswith("api/"):
        assert "CSRF" in response.json()["error"]
    else:  # the CSRF page, not a permission refusal
        assert "The form had expired or came from another site" in response.content.decode()
    assert Submission.objects.count() == 1 and Submission.objects.get().true_digit is None


# --- Another user's submission does not exist for them ---------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/history/{id}/"),
        ("get", "/history/{id}/image"),
        ("get", "/history/{id}/thumbnail"),
        ("get", "/history/{id}/input.png"),
        ("get", "/history/{id}/digits/0.png"),
        ("get", "/history/{id}/delete/"),
        ("post", "/history/{id}/delete/"),
        ("post", "/history/{id}/correct/"),
        ("post", "/api/v1/submissions/{id}/correction"),
        ("get", "/api/v1/submissions/{id}"),
        ("delete", "/api/v1/submissions/{id}"),
        ("get", "/api/v1/submissions/{id}/image"),
        ("get", "/api/v1/submissions/{id}/input.png"),
    ],
)
def test_another_users_submission_is_404(other_client, owners_submission, method, path):
    url = path.format(id=owners_submission.pk)
    if url.startswith("/api/") and method == "post":
        response = other_client.post(url, {"true_digit": 3}, content_type="application/json")
    else:
        response = getattr(other_client, method)(url, {"true_digit": "3"} if method == "post" else None)

    assert response.status_code == 404
    owners_submission.refresh_from_db()  # still there, unanswered
    assert owners_submission.true_digit is None


def test_another_users_submission_is_never_listed(other_client, owners_submission):
    for page in ("/", "/history/", f"/history/?digit={owners_submission.digit}"):
        assert f"/history/{owners_submission.pk}/" not in other_client.get(page).content.decode()


def test_another_users_submission_is_never_exported(other_client, owners_submission):
    rows = b"".join(other_client.get("/account/export.csv").streaming_content).decode().splitlines()
    assert len(rows) == 1  # the header alone
    archive = b"".join(other_client.get("/account/export.zip").streaming_content)
    assert f"images/{owners_submission.pk}.".encode() not in archive


# --- Staff pages -----------------------------------------------------------------------


def test_staff_pages_refuse_signed_in_non_staff(user_client, owners_submission):
    active = ModelVersion.objects.get(is_active=True)
    other = ModelVersion.objects.create(version="other-version", arch="cnn", artifact_path=active.artifact_path)

    assert user_client.get("/models/").status_code == 404
    assert user_client.get("/stats/all/").status_code == 404
    assert user_client.get("/stats/all/?version=" + active.version).status_code == 404
    assert user_client.get(f"/models/{active.version}/").status_code == 404
    assert user_client.post(f"/models/{other.version}/activate", {"force": "on"}).status_code == 404
    assert ModelVersion.objects.get(is_active=True) == active

    for path in ("/admin/", "/admin/recognizer/submission/", f"/admin/recognizer/submission/{owners_submission.pk}/change/"):
        response = user_client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    page = user_client.get("/admin/login/").content.decode()
    assert "not authorized to access this page" in page
