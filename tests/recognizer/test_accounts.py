"""Sign up, log in, log out and change password: Django's auth with our templates."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def signed_in_username(client):
    return client.get("/").context["user"].username or None


def test_signup_creates_the_user_logs_in_and_goes_home(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "carol", "password1": "violet-Anchor-42-sky", "password2": "violet-Anchor-42-sky"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert get_user_model().objects.filter(username="carol").exists()
    home = client.get("/")
    assert home.context["user"].username == "carol"
    assert 'data-testid="digit-canvas"' in home.content.decode()


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("violet-Anchor-42-sky", "something-else-42", "didn’t match"),
        ("short", "short", "too short"),
        ("password123", "password123", "too common"),
        ("83749201584", "83749201584", "entirely numeric"),
    ],
)
def test_signup_enforces_password_rules(client, password1, password2, message):
    response = client.post("/accounts/signup/", {"username": "carol", "password1": password1, "password2": password2})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="carol").exists()


def test_signup_refuses_a_taken_username(client, user):
    response = client.post(
        "/accounts/signup/",
        {"username": "alice", "password1": "violet-Anchor-42-sky", "password2": "violet-Anchor-42-sky"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_login_then_logout(client, user, password):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()

    response = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"].is_authenticated

    assert client.post("/accounts/logout/").status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_login_with_a_wrong_password_fails(client, user):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_login_redirects_to_next(client, user, password):
    response = client.post("/accounts/login/?next=/history/", {"username": "alice", "password": password, "next": "/history/"})
    assert response["Location"] == "/history/"


def test_logout_is_post_only(user_client):
    assert user_client.get("/accounts/logout/").status_code == 405
    assert user_client.get("/").context["user"].is_authenticated


def test_password_change(user_client, user, password):
    assert user_client.get("/accounts/password_change/").status_code == 200

    response = user_client.post(
        "/accounts/password_change/",
        {"old_password": password, "new_password1": "new-Lantern-88-dawn", "new_password2": "new-Lantern-88-dawn"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/accounts/password_change/done/"
    assert "Password changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("new-Lantern-88-dawn")
    assert response.context["user"].is_authenticated  # still signed in on this device


def test_password_change_needs_the_old_password(user_client, user, password):
    response = user_client.post(
        "/accounts/password_change/",
        {"old_password": "wrong-one-123", "new_password1": "new-Lantern-88-dawn", "new_password2": "new-Lantern-88-dawn"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(password)


def test_password_reset_is_not_offered(client):
    assert client.get("/accounts/password_reset/").status_code == 404
