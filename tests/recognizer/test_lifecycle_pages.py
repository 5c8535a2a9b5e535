"""Model versions and corrections where people see them: history, detail, API, admin."""

import pytest

from recognizer.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_history_detail_and_admin_name_the_version_that_answered(
    user_client, admin_client, user, make_submission
):
    submission = make_submission(user=user, model_version="20261122-shown")

    assert "20261122-shown" in user_client.get("/history/").content.decode()
    assert "20261122-shown" in user_client.get(f"/history/{submission.pk}/").content.decode()
    assert "20261122-shown" in admin_client.get("/admin/recognizer/submission/").content.decode()
    assert "20261122-shown" in admin_client.get("/admin/recognizer/modelversion/").content.decode()


def test_history_reads_the_versions_without_a_query_per_submission(
    user_client, user, make_submission, django_assert_max_num_queries
):
    for index in range(12):
        make_submission(user=user, model_version=f"v{index}")
    with django_assert_max_num_queries(8):
        user_client.get("/history/")


@pytest.mark.parametrize("correction, expected", [("none", {1}), ("confirmed", {2}), ("corrected", {3})])
def test_admin_filters_submissions_by_correction(admin_client, user, make_submission, correction, expected):
    make_submission(user=user, digit=1)
    make_submission(user=user, digit=2, true_digit=2)
    make_submission(user=user, digit=3, true_digit=8)

    response = admin_client.get(f"/admin/recognizer/submission/?correction={correction}")

    assert {submission.digit for submission in response.context["cl"].result_list} == expected


def test_admin_lists_corrections_and_filters_by_true_digit(admin_client, user, make_submission):
    make_submission(user=user, digit=3, true_digit=8)
    make_submission(user=user, digit=5)

    page = admin_client.get("/admin/recognizer/submission/?true_digit=8")

    assert page.context["cl"].result_count == 1
    assert "wrong: was 8" in page.content.decode()


def test_admin_shows_versions_read_only_and_keeps_the_active_one(admin_client):
    active = ModelVersion.objects.get(is_active=True)

    page = admin_client.get(f"/admin/recognizer/modelversion/{active.pk}/change/")

    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get(f"/admin/recognizer/modelversion/{active.pk}/delete/").status_code == 403
