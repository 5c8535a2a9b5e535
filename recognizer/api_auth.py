"""Who an API request speaks for: a personal token (``Authorization: Bearer dgt_...``) or
the browser's session. Each endpoint accepts either; the user lands in ``request.auth``.

A token needs no CSRF token: a browser never adds an Authorization header on its own, so
another site cannot make it send one. A session cookie it does send on its own, so a
session request that changes something must carry the CSRF token (the page sends it as
X-CSRFToken), exactly as Django checks every other form.
"""

from __future__ import annotations

from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from recognizer import tokens

NOT_SIGNED_IN_MESSAGE = (
    "Sign in, or send a personal API token as 'Authorization: Bearer <token>' (create one at /account/tokens/)."
)
INVALID_TOKEN_MESSAGE = "The API token is invalid or has been revoked: create a new one at /account/tokens/."
# RFC 6750: a 401 names the scheme the client should use, and why a token was refused.
WWW_AUTHENTICATE = 'Bearer realm="api"'
WWW_AUTHENTICATE_INVALID = 'Bearer realm="api", error="invalid_token"'


class ApiError(Exception):
    """A refusal: ``str()`` is the message for the client, with its status and headers."""

    def __init__(self, message: str, status: int, *, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers


class Refused(Exception):
    """Carries a finished error response out of an auth check (ninja lets those only
    return a user or raise)."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


class BearerToken(HttpBearer):
    openapi_bearerFormat = "dgt_... (a personal token from /account/tokens/)"

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            # Another scheme is not ours to judge (a proxy's Basic login, say): the
            # session may still speak for the request.
            return None
        return self.authenticate(request, credentials.strip())

    def authenticate(self, request, token: str):
        user = tokens.token_authenticate(plaintext=token)
        if user is None:
            # A token that does not work is refused outright rather than ignored in
            # favour of the session: the program should learn that its token is bad.
            raise ApiError(INVALID_TOKEN_MESSAGE, 401, headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID})
        return user


class SessionWithCsrf(APIKeyCookie):
    """The signed-in browser; state-changing requests must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        # Ninja's views are exempt from Django's CSRF middleware; this is the same check.
        # Safe methods pass; the refusal is settings.CSRF_FAILURE_VIEW's JSON answer.
        rejection = check_csrf(request)
        if rejection is not None:
            raise Refused(rejection)
        return request.user

    def authenticate(self, request, key):  # required by the base class; __call__ decides
        return request.user if request.user.is_authenticated else None
