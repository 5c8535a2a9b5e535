from django.urls import path

from recognizer import views, views_models

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
    # Staff only; everyone else gets a 404 (see views_models.staff_only).
    path("models/", views_models.model_list, name="models"),
    path("models/<str:version>/", views_models.model_detail, name="model_detail"),
    path("models/<str:version>/activate", views_models.activate, name="model_activate"),
]
