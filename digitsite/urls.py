from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from recognizer import accounts, api

# Only the account pages this site offers: there is no e-mail, so no password reset.
account_patterns = [
    path("signup/", accounts.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

API_URLS = api.api.urls
API_VIEWS = {pattern.name: pattern.callback for pattern in API_URLS[0]}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(account_patterns)),
    # The names the pages' templates use for two endpoints, older than the API's own
    # namespace: the same views, so either name reaches the same code.
    path("api/v1/predict", API_VIEWS["predict"], name="api-predict"),
    path("api/v1/submissions/<int:submission_id>/correction", API_VIEWS["correction"], name="api-correction"),
    # The API for programs and for the pages' scripts (django-ninja): names "api:...".
    path("api/v1/", API_URLS),
    path("", include("recognizer.urls")),
]

handler400 = "recognizer.errors.bad_request"
handler403 = "recognizer.errors.permission_denied"
handler404 = "recognizer.errors.page_not_found"
handler500 = "recognizer.errors.server_error"

admin.site.site_header = "Digits administration"
admin.site.site_title = "Digits admin"
