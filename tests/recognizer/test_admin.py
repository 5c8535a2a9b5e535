"""The Submission admin: read-only list and detail for staff, images through the admin."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="x-Admin-pass-77")
    client.force_login(admin)
    return client


def test_changelist_renders_for_staff(admin_user_client, user, make_submission):
    submission = make_submission(user=user, digit=9, model_version="v-admin-test")

    response = admin_user_client.get("/admin/recognizer/submission/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "v-admin-test" in page
    assert f"/admin/recognizer/submission/{submission.pk}/image/thumbnail/" in page
    assert "alice" in page


def test_changelist_search_and_filters(admin_user_client, user, other_user, make_submission):
    make_submission(user=user, digit=1)
    make_submission(user=other_user, digit=2)

    response = admin_user_client.get("/admin/recognizer/submission/?q=bob")
    assert response.context["cl"].result_count == 1

    response = admin_user_client.get("/admin/recognizer/submission/?digit=1&source__exact=canvas")
    assert response.context["cl"].result_count == 1


def test_submission_is_read_only(admin_user_client, user, make_submission):
    submission = make_submission(user=user)

    page = admin_user_client.get(f"/admin/recognizer/submission/{submission.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_user_client.get("/admin/recognizer/submission/add/").status_code == 403


@pytest.mark.parametrize("kind", ["original", "thumbnail", "input"])
def test_admin_image_view(admin_user_client, user, make_submission, kind):
    submission = make_submission(user=user)
    response = admin_user_client.get(f"/admin/recognizer/submission/{submission.pk}/image/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")


def test_admin_is_closed_to_ordinary_users(user_client, user, make_submission):
    submission = make_submission(user=user)
    assert user_client.get("/admin/recognizer/submission/").status_code == 302
    assert user_client.get(f"/admin/recognizer/submission/{submission.pk}/image/original/").status_code == 302
