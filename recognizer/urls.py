from django.urls import path

from recognizer import views, views_account, views_models, views_stats, views_tokens

app_name = "recognizer"

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("history/", views.history, name="history"),
    path("history/<int:submission_id>/", views.detail, name="detail"),
    path("history/<int:submission_id>/delete/", views.delete, name="delete"),
    path("history/<int:submission_id>/correct/", views.correct, name="correct"),
    path("history/<int:submission_id>/image", views.image, name="image"),
    path("history/<int:submission_id>/thumbnail", views.thumbnail, name="thumbnail"),
    path("history/<int:submission_id>/input.png", views.model_input, name="model_input"),
    path("history/<int:submission_id>/digits/<int:position>.png", views.digit_input, name="digit_input"),
    path("stats/", views_stats.statistics, name="stats"),
    path("account/", views_account.account, name="account"),
    path("account/delete/", views_account.account_delete, name="account_delete"),
    path("account/export.csv", views_account.export_csv, name="export_csv"),
    path("account/export.zip", views_account.export_zip, name="export_zip"),
    path("account/tokens/", views_tokens.token_list, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views_tokens.token_revoke, name="token_revoke"),
    # Staff only; everyone else gets a 404 (see views_models.staff_only).
    path("stats/all/", views_stats.statistics_all, name="stats_all"),
    path("models/", views_models.model_list, name="models"),
    path("models/<str:version>/", views_models.model_detail, name="model_detail"),
    path("models/<str:version>/activate", views_models.activate, name="model_activate"),
]
