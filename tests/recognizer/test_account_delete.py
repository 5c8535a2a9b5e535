"""The account page, and deleting an account: the password first, then everything of
theirs in one go, and nothing of anyone else's."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.utils import timezone

from recognizer import accounts
from recognizer.models import ApiToken, ModelVersion, Submission, SubmissionDigit
from tests.recognizer.number_submissions import number_submission

pytestmark = pytest.mark.django_db


def token(user, name: str) -> ApiToken:
    return ApiToken.objects.create(user=user, name=name, prefix=name[:8], token_hash=f"{name:0>64}"[:64])


@pytest.fixture
def two_histories(user, other_user, make_submission):
    make_submission(user=user, digit=7, true_digit=1)
    number_submission(user=user, number="123", true_number="123")
    token(user, "alice-laptop")
    make_submission(user=other_user, digit=3)
    number_submission(user=other_user, number="45")
    token(user=other_user, name="bob-script")
    return user, other_user


def counts(user_id) -> tuple[int, int, int]:
    return (
        Submission.objects.filter(user_id=user_id).count(),
        SubmissionDigit.objects.filter(submission__user_id=user_id).count(),
        ApiToken.objects.filter(user_id=user_id).count(),
    )


# --- The account page ---------------------------------------------------------------


def test_the_account_page_shows_the_counts_and_the_ways_out(user_client, two_histories):
    page = user_client.get("/account/").content.decode()

    assert "alice" in page and "Member since" in page
    assert "2 <span" in page and "1 digit, 1 number" in page
    for url in ("/stats/", "/account/export.csv", "/account/export.zip", "/accounts/password_change/",
                "/account/delete/", "/account/tokens/"):
        assert f'href="{url}"' in page, url


def test_the_header_links_to_the_account_and_statistics(user_client):
    page = user_client.get("/history/").content.decode()
    assert 'class="account-name" href="/account/"' in page
    assert '<a href="/stats/">Statistics</a>' in page


# --- Deleting ---------------------------------------------------------------------------


def test_the_confirmation_page_asks_for_the_password(user_client, two_histories):
    response = user_client.get("/account/delete/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="password"' in page and 'autocomplete="current-password"' in page
    assert "2 submissions" in page and "1 API token" in page


@pytest.mark.parametrize("password", ["", "not-the-password"])
def test_a_wrong_password_deletes_nothing(user_client, two_histories, password):
    alice, _ = two_histories

    response = user_client.post("/account/delete/", {"password": password})

    assert response.status_code == 200
    page = response.content.decode()
    assert ("That is not your password. Nothing was deleted." if password else "Type your password to confirm.") in page
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    assert counts(alice.pk) == (2, 3, 1)
    assert user_client.get("/account/").status_code == 200  # still signed in


def test_the_right_password_deletes_everything_of_theirs_and_nothing_else(client, two_histories, password):
    alice, bob = two_histories
    version = ModelVersion.objects.create(version="alices-model", arch="cnn", created_by=alice)
    login = client.post("/accounts/login/", {"username": "alice", "password": password})  # axes logs it
    assert login.status_code == 302
    assert AccessLog.objects.filter(username="alice").exists()
    AccessAttempt.objects.create(username="alice", ip_address="10.0.0.1", user_agent="x", get_data="",
                                 post_data="", failures_since_start=1, attempt_time=timezone.now())
    bobs_before = counts(bob.pk)

    response = client.post("/account/delete/", {"password": password}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "The account alice and all its submissions have been deleted." in response.content.decode()
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert counts(alice.pk) == (0, 0, 0)
    assert not AccessLog.objects.filter(username="alice").exists()
    assert not AccessAttempt.objects.filter(username="alice").exists()
    version.refresh_from_db()
    assert version.created_by is None  # the model stays; who made it is forgotten
    assert counts(bob.pk) == bobs_before
    # Signed out, and the account is gone for good.
    assert client.get("/account/").status_code == 302
    again = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_the_service_refuses_a_wrong_password(rf, user, password):
    request = rf.post("/account/delete/")
    with pytest.raises(accounts.WrongPassword):
        accounts.account_delete(request=request, user=user, password=password + "x")
    assert AccessAttempt.objects.filter(username=user.get_username()).exists(), "axes counted it"
    accounts.account_delete(request=request, user=user, password=password)
    assert not get_user_model().objects.filter(pk=user.pk).exists()


def test_guessing_the_password_here_locks_out_like_failed_logins(user_client, two_histories, password, settings):
    alice, _ = two_histories
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert user_client.post("/account/delete/", {"password": f"guess-{attempt}"}).status_code == 200
    assert user_client.post("/account/delete/", {"password": "last-guess"}).status_code == 429

    response = user_client.post("/account/delete/", {"password": password})

    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert counts(alice.pk) == (2, 3, 1), "even the right password deletes nothing now"
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_a_failure_halfway_deletes_nothing(rf, user, two_histories, password, monkeypatch):
    def broken_delete(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(type(user), "delete", broken_delete)
    AccessLog.objects.create(username="alice", ip_address="10.0.0.1", user_agent="x", attempt_time=timezone.now())

    with pytest.raises(RuntimeError):
        accounts.account_delete(request=rf.post("/account/delete/"), user=user, password=password)

    assert AccessLog.objects.filter(username="alice").exists()  # rolled back with the rest
    assert counts(user.pk) == (2, 3, 1)


def test_anonymous_visitors_are_asked_to_log_in(client):
    for path in ("/account/", "/account/delete/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/account/delete/", {"password": "x"}).status_code == 302
