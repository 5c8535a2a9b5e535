"""The staff Models page: who may see it, what it shows, and activation through the safe path."""

import re

import pytest
from django.test import Client

from recognizer import lifecycle
from recognizer.models import ModelVersion

pytestmark = pytest.mark.django_db

CANDIDATE = "20261201-mlp-candidate"


@pytest.fixture
def staff_user(django_user_model, password):
    return django_user_model.objects.create_user(username="carol", password=password, is_staff=True)


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def active():
    """The bundled model, registered and activated by the migrations."""
    return ModelVersion.objects.get(is_active=True)


def history(epochs: int, *, loss: float = 0.5) -> list[dict]:
    return [
        {"epoch": epoch, "loss": loss / epoch, "accuracy": 0.95, "test_loss": loss / epoch,
         "test_accuracy": 0.96, "seconds": 10.0}
        for epoch in range(1, epochs + 1)
    ]


@pytest.fixture
def make_candidate(active, staff_user):
    """An inactive version served from the bundled folder, ``below`` points (of 100)
    under the active one on MNIST test."""

    def make(*, below: float, version: str = CANDIDATE, **fields) -> ModelVersion:
        accuracy = active.mnist_test_accuracy - below / 100
        metrics = {
            "mnist_test_accuracy": accuracy,
            "per_class_accuracy": [accuracy] * 10,
            "confusion_matrix": [[90 if row == column else 1 for column in range(10)] for row in range(10)],
            "history": history(4),
            "training_seconds": 125.0,
        }
        values = {
            "arch": "mlp",
            "artifact_path": active.artifact_path,
            "metrics": metrics,
            "created_by": staff_user,
            "notes": "A smaller model for phones.",
        }
        values.update(fields)
        return ModelVersion.objects.create(version=version, **values)

    return make


def activate_url(version: str) -> str:
    return f"/models/{version}/activate"


# --- Who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/models/", f"/models/{CANDIDATE}/"])
def test_anonymous_visitors_are_sent_to_log_in(client, make_candidate, path):
    make_candidate(below=0)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/models/", f"/models/{CANDIDATE}/"])
def test_signed_in_non_staff_get_404(user_client, make_candidate, path):
    make_candidate(below=0)
    assert user_client.get(path).status_code == 404


def test_non_staff_cannot_activate(user_client, active, make_candidate):
    make_candidate(below=0)
    assert user_client.post(activate_url(CANDIDATE), {"force": "on"}).status_code == 404
    assert ModelVersion.objects.get(is_active=True) == active


def test_the_models_link_is_for_staff_only(user_client, staff_client):
    assert 'href="/models/"' not in user_client.get("/").content.decode()
    assert 'href="/models/"' in staff_client.get("/").content.decode()


# --- What it shows -----------------------------------------------------------------------------


def test_staff_see_every_version_in_the_table(staff_client, active, make_candidate, user, make_submission):
    make_candidate(below=1.0)
    make_submission(user=user, model_version=active)
    make_submission(user=user, model_version=active)

    page = staff_client.get("/models/").content.decode()

    rows = re.findall(r"<tr(?: class=\"is-selected\")?>\s*<th scope=\"row\">.*?</tr>", page, re.DOTALL)
    assert len(rows) == 2
    candidate_row = next(row for row in rows if CANDIDATE in row)
    active_row = next(row for row in rows if active.version in row)
    for shown in ("mlp", "carol", "A smaller model for phones."):
        assert shown in candidate_row
    assert f"{100 * active.mnist_test_accuracy - 1.0:.2f}%" in candidate_row
    assert f'action="{activate_url(CANDIDATE)}"' in candidate_row
    assert 'badge-active">Active' in active_row and "activate-form" not in active_row
    assert re.search(r'<td data-label="Submissions" class="numeric">2</td>', active_row)


def test_the_list_shows_the_active_versions_charts(staff_client, active):
    page = staff_client.get("/models/").content.decode()

    assert f"<code>{active.version}</code> <span class=\"badge badge-active\">Active</span>" in page
    # Loss and accuracy curves, the confusion matrix and the per-digit bars.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart ') == 4
    for name in ("chart-line", "chart-confusion", "chart-bars"):
        assert f'class="chart {name}"' in page
    assert page.count('class="cell"') == 100
    epochs = len(active.metrics["history"])
    assert f"{epochs} epochs" in page


def test_a_version_page_shows_that_versions_own_charts(staff_client, make_candidate):
    make_candidate(below=0.5)

    page = staff_client.get(f"/models/{CANDIDATE}/").content.decode()

    assert f"<h2 id=\"version-heading\"><code>{CANDIDATE}</code>" in page
    assert "4 epochs, 2 min 5 s" in page
    # The candidate's history has 4 epochs: two series of 4 dots in each line chart.
    assert page.count("<circle") == 2 * 2 * 4
    assert page.count('class="cell"') == 100
    assert f'action="{activate_url(CANDIDATE)}"' in page


def test_a_version_without_metrics_says_so(staff_client, make_candidate):
    make_candidate(below=0, version="old-by-name", metrics={}, artifact_path="")
    page = staff_client.get("/models/old-by-name/").content.decode()
    assert "No training record" in page
    assert 'class="chart ' not in page


def test_an_unknown_version_is_404(staff_client):
    assert staff_client.get("/models/no-such-version/").status_code == 404
    assert staff_client.post(activate_url("no-such-version")).status_code == 404


def test_notes_are_escaped(staff_client, make_candidate):
    make_candidate(below=0, notes="<script>alert(1)</script>")
    page = staff_client.get(f"/models/{CANDIDATE}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Activation -------------------------------------------------------------------------------


def test_activation_within_the_tolerance_switches_the_active_version(staff_client, active, make_candidate):
    make_candidate(below=100 * lifecycle.ACTIVATION_TOLERANCE / 2)

    response = staff_client.post(activate_url(CANDIDATE), follow=True)

    assert response.redirect_chain == [(f"/models/{CANDIDATE}/", 302)]
    assert f"{CANDIDATE} is now the active model" in response.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True).values_list("version", flat=True)) == [CANDIDATE]


def test_a_refused_activation_shows_why_and_changes_nothing(staff_client, active, make_candidate):
    make_candidate(below=1.0)

    response = staff_client.post(activate_url(CANDIDATE), follow=True)

    page = response.content.decode()
    assert "Not activated." in page and "Use force to activate it anyway." in page
    assert 'class="message message-error"' in page
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]


def test_force_activates_a_worse_version(staff_client, active, make_candidate):
    make_candidate(below=1.0)

    staff_client.post(activate_url(CANDIDATE), {"force": "on"})

    assert ModelVersion.objects.get(is_active=True).version == CANDIDATE


def test_force_does_not_serve_a_version_without_a_folder(staff_client, active, make_candidate):
    make_candidate(below=0, artifact_path="")

    page = staff_client.post(activate_url(CANDIDATE), {"force": "on"}, follow=True).content.decode()

    assert "has no model folder" in page
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]


def test_activation_needs_post_and_the_csrf_token(staff_user, active, make_candidate):
    make_candidate(below=0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)

    assert client.get(activate_url(CANDIDATE)).status_code == 405
    assert client.post(activate_url(CANDIDATE), {"force": "on"}).status_code == 403
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]


def test_activation_goes_through_the_lifecycle_service(staff_client, staff_user, make_candidate, monkeypatch):
    make_candidate(below=0)
    calls = []
    monkeypatch.setattr(lifecycle, "activate_model_version", lambda **kwargs: calls.append(kwargs))

    staff_client.post(activate_url(CANDIDATE), {"force": "on"})
    staff_client.post(activate_url(CANDIDATE))

    assert calls == [
        {"version": CANDIDATE, "by": staff_user, "force": True},
        {"version": CANDIDATE, "by": staff_user, "force": False},
    ]
