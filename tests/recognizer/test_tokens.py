"""Personal API tokens: the service (made once, stored hashed, limited, revoked by the
owner only, looked up by hash) and the account's tokens page."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from recognizer import tokens
from recognizer.models import ApiToken

pytestmark = pytest.mark.django_db

PAGE = "/account/tokens/"


def everything_stored() -> str:
    """Every value of every row of every table, as text (sessions decoded)."""
    values = []
    for model in apps.get_models():
        for row in model.objects.values_list(*[field.attname for field in model._meta.concrete_fields]):
            values.extend(bytes(value).decode("latin-1") if isinstance(value, memoryview) else str(value) for value in row)
    values.extend(str(session.get_decoded()) for session in Session.objects.all())
    return "\n".join(values)


# --- The service ---------------------------------------------------------------------------


def test_a_token_is_returned_once_and_only_its_hash_is_stored(user):
    created = tokens.token_create(user=user, name="backup script")

    assert created.plaintext.startswith("dgt_") and len(created.plaintext) == 4 + 43
    stored = ApiToken.objects.get()
    assert stored.token_hash == hashlib.sha256(created.plaintext.encode()).hexdigest()
    assert stored.prefix == created.plaintext[:10]
    assert (stored.user, stored.name, stored.last_used_at) == (user, "backup script", None)
    assert created.plaintext not in everything_stored()


def test_every_token_is_different(user):
    made = {tokens.token_create(user=user, name=f"t{n}").plaintext for n in range(5)}
    assert len(made) == 5


@pytest.mark.parametrize(("name", "words"), [("", "Give the token a name"), ("   ", "Give the token a name"),
                                              ("x" * 101, "too long")])
def test_a_token_needs_a_short_name(user, name, words):
    with pytest.raises(tokens.TokenError, match=words):
        tokens.token_create(user=user, name=name)
    assert not ApiToken.objects.exists()


def test_one_account_has_at_most_twenty_tokens(user, other_user):
    for n in range(tokens.MAX_TOKENS_PER_USER):
        tokens.token_create(user=user, name=f"token {n}")

    with pytest.raises(tokens.TokenError, match="already have 20 tokens.*Revoke one"):
        tokens.token_create(user=user, name="one too many")

    assert ApiToken.objects.filter(user=user).count() == 20
    tokens.token_create(user=other_user, name="someone else's first")  # the limit is per account


def test_the_list_is_the_owners_newest_first(user, other_user):
    first = tokens.token_create(user=user, name="first").token
    second = tokens.token_create(user=user, name="second").token
    tokens.token_create(user=other_user, name="not yours")
    assert list(tokens.token_list(user=user)) == [second, first]


def test_only_the_owner_can_revoke(user, other_user):
    created = tokens.token_create(user=user, name="laptop")

    with pytest.raises(ApiToken.DoesNotExist):
        tokens.token_revoke(user=other_user, token_id=created.token.pk)
    assert tokens.token_authenticate(plaintext=created.plaintext) == user

    tokens.token_revoke(user=user, token_id=created.token.pk)
    assert not ApiToken.objects.exists()
    assert tokens.token_authenticate(plaintext=created.plaintext) is None


@pytest.mark.parametrize(
    "plaintext",
    ["", "dgt_", "dgt_short", "not-a-token", "dgt_" + "A" * 43, "dgt_" + "A" * 42 + "!", "Dgt_" + "A" * 43,
     "dgt_" + "A" * 500],
)
def test_unknown_and_malformed_tokens_are_nobody(user, plaintext):
    tokens.token_create(user=user, name="real")
    assert tokens.token_authenticate(plaintext=plaintext) is None


def test_an_inactive_users_token_is_nobody(user):
    created = tokens.token_create(user=user, name="laptop")
    user.is_active = False
    user.save()
    assert tokens.token_authenticate(plaintext=created.plaintext) is None


def test_last_used_is_written_at_most_once_a_minute(user, monkeypatch):
    created = tokens.token_create(user=user, name="laptop")
    start = timezone.now()
    clock = {"now": start}
    monkeypatch.setattr(tokens.timezone, "now", lambda: clock["now"])

    def last_used():
        return ApiToken.objects.get().last_used_at

    tokens.token_authenticate(plaintext=created.plaintext)
    assert last_used() == start
    clock["now"] = start + timedelta(seconds=59)
    tokens.token_authenticate(plaintext=created.plaintext)
    assert last_used() == start  # not rewritten within the minute
    clock["now"] = start + timedelta(seconds=61)
    tokens.token_authenticate(plaintext=created.plaintext)
    assert last_used() == start + timedelta(seconds=61)


# --- The page ----------------------------------------------------------------------------


def test_the_page_shows_a_new_token_once_with_a_copy_button(user_client, user):
    response = user_client.post(PAGE, {"name": "backup script"})

    assert response.status_code == 200
    created = ApiToken.objects.get()
    page = response.content.decode()
    plaintext = re.search(r'id="new-token" class="token-value">([^<]+)</code>', page)[1]
    assert plaintext.startswith(created.prefix) and tokens.hash_token(plaintext) == created.token_hash
    assert "shown only this once" in page and "data-copy-target" in page
    assert "no-store" in response["Cache-Control"]  # no cache may keep the token

    again = user_client.get(PAGE).content.decode()
    assert plaintext not in again
    assert "backup script" in again and f"{created.prefix}…" in again and "Never" in again
    assert plaintext not in everything_stored()


def test_the_page_lists_only_ones_own_tokens_with_last_use(user_client, user, other_user):
    mine = tokens.token_create(user=user, name="lab laptop")
    tokens.token_create(user=other_user, name="bobs secret script")
    tokens.token_authenticate(plaintext=mine.plaintext)

    page = user_client.get(PAGE).content.decode()

    assert "lab laptop" in page and "bobs secret script" not in page
    assert "ago" in page  # last used
    assert "1 of at most 20" in page


def test_the_page_says_why_a_token_was_not_made(user_client, user):
    page = user_client.post(PAGE, {"name": "  "}).content.decode()
    assert "This field is required." in page and not ApiToken.objects.exists()

    for n in range(tokens.MAX_TOKENS_PER_USER):
        tokens.token_create(user=user, name=f"t{n}")
    page = user_client.post(PAGE, {"name": "one more"}).content.decode()
    assert "the most one account may have" in page
    assert ApiToken.objects.count() == 20


def test_revoking_asks_first_then_revokes_on_post(user_client, user):
    created = tokens.token_create(user=user, name="old script")
    url = f"{PAGE}{created.token.pk}/revoke/"

    confirm = user_client.get(url)
    assert confirm.status_code == 200 and "Revoke “old script”?" in confirm.content.decode()
    assert ApiToken.objects.exists()

    response = user_client.post(url, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Revoked “old script”" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_seen_or_revoked(other_client, user):
    created = tokens.token_create(user=user, name="alices")
    url = f"{PAGE}{created.token.pk}/revoke/"

    assert other_client.get(url).status_code == 404
    assert other_client.post(url).status_code == 404
    assert ApiToken.objects.filter(pk=created.token.pk).exists()


def test_creating_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(PAGE, {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.exists()
