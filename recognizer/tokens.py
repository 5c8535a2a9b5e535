"""Personal API tokens: create, list and revoke a user's tokens, and find the user a
``Authorization: Bearer <token>`` header speaks for.

A token is ``dgt_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored (see ``ApiToken``); the plaintext exists once, in what ``token_create`` returns,
for the owner to copy.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from recognizer.models import ApiToken

TOKEN_PREFIX = "dgt_"
# What the list shows of a token: the fixed prefix and a few random characters, enough to
# tell one's tokens apart and too few (36 of 256 bits) to help anyone guess the rest.
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6
# token_urlsafe(32): 43 characters of [A-Za-z0-9_-].
TOKEN_SHAPE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}$")
MAX_TOKENS_PER_USER = 20
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# last_used_at is for the owner ("used 3 minutes ago"), not an audit log: writing it at
# most once a minute per token spares a database write on almost every API request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """The token cannot be made; ``str()`` is for the user."""


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plaintext: str  # shown to the owner once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def token_create(*, user, name: str) -> CreatedToken:
    """A new token for ``user`` called ``name``; raises ``TokenError`` for a blank or too
    long name, or when the user already has ``MAX_TOKENS_PER_USER``."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name, such as the program or machine that will use it.")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenError(f"The name is too long: at most {NAME_MAX_LENGTH} characters.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        # Locking the user's row makes concurrent creates take turns, so two of them
        # cannot both see 19 tokens and make a 21st.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
            raise TokenError(
                f"You already have {MAX_TOKENS_PER_USER} tokens, the most one account may have. "
                "Revoke one you no longer use, then create the new one."
            )
        token = ApiToken.objects.create(
            user=user, name=name, prefix=plaintext[:SHOWN_CHARACTERS], token_hash=hash_token(plaintext)
        )
    return CreatedToken(token=token, plaintext=plaintext)


def token_list(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_get(*, user, token_id: int) -> ApiToken:
    """One of the user's tokens; anyone else's is ``ApiToken.DoesNotExist``."""
    return ApiToken.objects.get(user=user, pk=token_id)


def token_revoke(*, user, token_id: int) -> ApiToken:
    """Delete one of the user's tokens (it stops working at once) and return what it was;
    anyone else's is ``ApiToken.DoesNotExist``."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(user=user, pk=token_id)
        token.delete()
    return token


def token_authenticate(*, plaintext: str):
    """The active user ``plaintext`` belongs to, or None for a malformed, unknown or
    revoked token.

    The lookup is by the token's hash, never by the token: how long the comparison in the
    index takes depends on the hash, which an attacker cannot steer toward a stored one,
    so timing reveals nothing about any real token.
    """
    if not TOKEN_SHAPE.match(plaintext):
        return None  # not one of ours: no query at all
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(plaintext)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests in the same minute write once between them.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    return token.user
