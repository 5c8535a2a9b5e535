"""History: own submissions only, newest first, filters, pagination, detail, images, delete."""

import io
import re

import pytest
from PIL import Image

from recognizer import selectors
from recognizer.models import Submission

pytestmark = pytest.mark.django_db


def detail_links(response) -> list[int]:
    return [int(found) for found in re.findall(r'href="/history/(\d+)/"', response.content.decode())]


def test_history_needs_login(client):
    response = client.get("/history/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/history/")


def test_history_lists_own_submissions_newest_first(user_client, user, other_user, make_submission):
    older = make_submission(user=user, digit=3)
    newer = make_submission(user=user, digit=5)
    make_submission(user=other_user, digit=8)

    response = user_client.get("/history/")

    assert response.status_code == 200
    assert detail_links(response) == [newer.pk, older.pk]
    assert "2 submissions" in response.content.decode()


def test_list_selector_defers_the_image_bytes(user, make_submission):
    make_submission(user=user)
    submission = selectors.submission_list(user=user).get()
    assert submission.get_deferred_fields() == {"image", "model_input"}


def test_filters_by_digit_and_source(user_client, user, make_submission):
    drawn_three = make_submission(user=user, digit=3, source="canvas")
    uploaded_three = make_submission(user=user, digit=3, source="upload")
    make_submission(user=user, digit=4, source="canvas")

    assert set(detail_links(user_client.get("/history/?digit=3"))) == {drawn_three.pk, uploaded_three.pk}
    assert detail_links(user_client.get("/history/?digit=3&source=upload")) == [uploaded_three.pk]
    assert len(detail_links(user_client.get("/history/?source=canvas"))) == 2


def test_invalid_filters_are_ignored(user_client, user, make_submission):
    make_submission(user=user, digit=1)
    response = user_client.get("/history/?digit=eleven&source=telegram&page=zzz")
    assert response.status_code == 200
    assert len(detail_links(response)) == 1


def test_pagination_keeps_filters_across_pages(user_client, user, make_submission):
    sevens = [make_submission(user=user, digit=7) for _ in range(30)]
    make_submission(user=user, digit=2)

    first = user_client.get("/history/?digit=7")
    second = user_client.get("/history/?digit=7&page=2")

    assert len(detail_links(first)) == 24
    assert len(detail_links(second)) == 6
    assert set(detail_links(first)) | set(detail_links(second)) == {submission.pk for submission in sevens}
    assert 'href="?digit=7&amp;page=2"' in first.content.decode()
    assert 'href="?digit=7&amp;page=1"' in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_empty_history_invites_drawing(user_client):
    assert "No submissions yet" in user_client.get("/history/").content.decode()


def test_detail_shows_the_result(user_client, user, make_submission):
    submission = make_submission(user=user, digit=6, confidence=0.875, model_version="2026-test-v1", latency_ms=4.25)

    page = user_client.get(f"/history/{submission.pk}/").content.decode()

    assert "87.5%" in page
    assert "2026-test-v1" in page
    assert "4.2 ms" in page or "4.3 ms" in page
    assert f'src="/history/{submission.pk}/image"' in page
    assert f'src="/history/{submission.pk}/input.png"' in page
    assert page.count('class="bar-row') == 10


@pytest.mark.parametrize("suffix", ["image", "input.png", "thumbnail"])
def test_images_are_served_privately_to_the_owner(user_client, user, make_submission, suffix):
    submission = make_submission(user=user)

    response = user_client.get(f"/history/{submission.pk}/{suffix}")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    assert response["Content-Type"].startswith("image/")
    Image.open(io.BytesIO(response.content)).verify()


def test_tiff_is_served_as_png_for_browsers(user_client, user, make_submission):
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(buffer, format="TIFF")
    submission = make_submission(user=user, image=buffer.getvalue(), image_content_type="image/tiff")

    response = user_client.get(f"/history/{submission.pk}/image")

    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "/"),
        ("get", "/image"),
        ("get", "/input.png"),
        ("get", "/thumbnail"),
        ("get", "/delete/"),
        ("post", "/delete/"),
    ],
)
def test_another_users_submission_is_404(other_client, user, make_submission, method, suffix):
    submission = make_submission(user=user)

    response = getattr(other_client, method)(f"/history/{submission.pk}{suffix}")

    assert response.status_code == 404
    assert Submission.objects.filter(pk=submission.pk).exists()


def test_another_users_submission_is_not_listed(other_client, user, make_submission):
    make_submission(user=user)
    assert detail_links(other_client.get("/history/")) == []


def test_delete_asks_then_deletes_on_post(user_client, user, make_submission):
    submission = make_submission(user=user)

    confirm = user_client.get(f"/history/{submission.pk}/delete/")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Submission.objects.filter(pk=submission.pk).exists()

    response = user_client.post(f"/history/{submission.pk}/delete/", follow=True)
    assert response.redirect_chain[-1] == ("/history/", 302)
    assert "Submission deleted." in response.content.decode()
    assert not Submission.objects.filter(pk=submission.pk).exists()


def test_delete_needs_the_csrf_token(user, make_submission):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    submission = make_submission(user=user)

    assert client.post(f"/history/{submission.pk}/delete/").status_code == 403
    assert Submission.objects.filter(pk=submission.pk).exists()
