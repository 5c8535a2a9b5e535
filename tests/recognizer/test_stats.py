"""Statistics: the figures on a known set of submissions (digits, numbers, corrections),
the per-day window, the empty state, the charts, and who may see the all-users page."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recognizer import stats, stats_charts
from recognizer.models import ModelVersion, Submission
from tests.recognizer.number_submissions import number_submission

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
TODAY = datetime.date(2026, 11, 21)
CANVAS, UPLOAD = Submission.Source.CANVAS, Submission.Source.UPLOAD


def at(days_ago: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def alices_history(user, make_submission):
    """Five digits and four numbers, judged and not, from both sources and two versions.

    Judged: 4 digits (1 right) and 3 numbers (1 right); 7 read as 1 three times (twice
    as a digit, once inside "17" that was "77"), 9 read as 4 once; "123" corrected to
    "12" cannot be lined up digit by digit.
    """
    make_submission(user=user, digit=7, true_digit=7, source=CANVAS, created_at=at(0, 10))
    make_submission(user=user, digit=1, true_digit=7, source=CANVAS, created_at=at(0, 11))
    make_submission(user=user, digit=1, true_digit=7, source=UPLOAD, created_at=at(1, 23, 59))
    make_submission(user=user, digit=3, source=CANVAS, created_at=at(5), model_version="v-old")
    make_submission(user=user, digit=4, true_digit=9, source=UPLOAD, created_at=at(40), model_version="v-old")
    number_submission(user=user, number="42", true_number="42", created_at=at(2))
    number_submission(user=user, number="17", true_number="77", source=CANVAS, created_at=at(2))
    number_submission(user=user, number="123", true_number="12", created_at=at(3))
    number_submission(user=user, number="50", created_at=at(60))
    return user


@pytest.fixture
def bobs_history(other_user, make_submission):
    make_submission(user=other_user, digit=8, true_digit=3, created_at=at(0), model_version="v-old")
    number_submission(user=other_user, number="88", true_number="38", created_at=at(1))
    return other_user


# --- Figures ----------------------------------------------------------------------------


def test_the_figures_of_a_known_history(alices_history, bobs_history):
    figures = stats.statistics(user=alices_history, today=TODAY)

    tally = figures.tally
    assert (tally.total, tally.digits, tally.numbers) == (9, 5, 4)
    assert (tally.judged_digits, tally.right_digits, tally.judged_numbers, tally.right_numbers) == (4, 1, 3, 1)
    assert (tally.judged, tally.right, tally.wrong) == (7, 2, 5)
    assert tally.accuracy == pytest.approx(2 / 7)
    assert tally.digit_accuracy == pytest.approx(1 / 4) and tally.number_accuracy == pytest.approx(1 / 3)

    # Digits read: the five digit answers plus every digit of the four numbers.
    assert figures.digit_counts == [1, 4, 2, 2, 2, 1, 0, 2, 0, 0]

    matrix = figures.confusion.matrix
    assert matrix[7][1] == 3 and matrix[7][7] == 2 and matrix[9][4] == 1
    assert matrix[4][4] == 1 and matrix[2][2] == 1
    assert figures.confusion.judged == 8
    assert figures.confusion.unaligned_numbers == 1
    assert [str(mistake) for mistake in figures.confusion.mistakes] == ["7 read as 1: 3 times", "9 read as 4: once"]

    canvas, upload = figures.by_source
    assert (canvas.key, canvas.tally.total, canvas.tally.judged, canvas.tally.right) == ("canvas", 4, 3, 1)
    assert (upload.key, upload.tally.total, upload.tally.judged, upload.tally.right) == ("upload", 5, 4, 1)


def test_across_all_users_and_per_model_version(alices_history, bobs_history):
    everyone = stats.statistics(today=TODAY)
    assert everyone.tally.total == 11
    assert everyone.confusion.matrix[3][8] == 2  # Bob's 3 read as 8, alone and inside "38"

    old = ModelVersion.objects.get(version="v-old")
    figures = stats.statistics(model_version=old, today=TODAY)
    assert (figures.tally.total, figures.tally.judged, figures.tally.right) == (3, 2, 0)

    rows = {row.key: row.tally for row in stats.by_model_version(stats.submissions_in_scope())}
    assert set(rows) == {"v-old", "test-version"}
    assert rows["v-old"].total == 3 and rows["test-version"].total == 8
    assert [version.version for version in stats.model_version_choices()] == sorted(
        rows, key=lambda name: ModelVersion.objects.get(version=name).created_at, reverse=True
    )


def test_per_day_counts_fill_the_empty_days_and_keep_to_the_window(alices_history):
    days = stats.daily_counts(stats.submissions_in_scope(user=alices_history), days=30, today=TODAY)

    assert len(days) == 30
    assert days[0].day == TODAY - datetime.timedelta(days=29) and days[-1].day == TODAY
    counts = {day.day: day.count for day in days}
    assert counts[TODAY] == 2
    assert counts[TODAY - datetime.timedelta(days=1)] == 1  # 23:59 is still yesterday
    assert counts[TODAY - datetime.timedelta(days=2)] == 2
    assert counts[TODAY - datetime.timedelta(days=4)] == 0
    assert sum(counts.values()) == 7  # 40 and 60 days ago are outside

    wider = stats.daily_counts(stats.submissions_in_scope(user=alices_history), days=90, today=TODAY)
    assert len(wider) == 90 and sum(day.count for day in wider) == 9


def test_a_user_with_nothing_gets_zeros_and_no_division(user):
    figures = stats.statistics(user=user, today=TODAY)

    assert figures.tally.total == 0 and figures.tally.accuracy is None
    assert figures.tally.digit_accuracy is None and figures.tally.number_accuracy is None
    assert figures.digit_counts == [0] * 10
    assert figures.confusion.judged == 0 and figures.confusion.mistakes == []
    assert figures.by_source == [] and len(figures.daily) == 30 and figures.in_window == 0
    assert stats_charts.statistics_charts(figures) == {}


def test_the_figures_cost_the_same_few_queries_for_any_history(alices_history, make_submission):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            stats.statistics(user=alices_history, today=TODAY)
        return len(captured)

    before = queries()
    for index in range(20):
        make_submission(user=alices_history, digit=index % 10, true_digit=(index * 3) % 10, created_at=at(index))
        number_submission(user=alices_history, number=str(1000 + index), true_number=str(1000 + index))
    assert queries() == before <= 8


def test_a_window_must_be_a_day_at_least(user):
    with pytest.raises(ValueError):
        stats.daily_counts(stats.submissions_in_scope(user=user), days=0)


# --- Charts -----------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    return root


def test_the_digit_chart_has_a_labelled_column_per_digit():
    root = parse(stats_charts.digit_chart([1, 4, 2, 2, 2, 1, 0, 2, 0, 0]))

    columns = root.findall(f"{SVG}g[@class='column']")
    assert [column.find(f"{SVG}title").text for column in columns][:2] == ["Read as 0: 1 time", "Read as 1: 4 times"]
    assert len(root.findall(f".//{SVG}rect[@class='bar']")) == 7  # no bar for a zero
    assert "0: 1, 1: 4" in root.find(f"{SVG}desc").text


def test_the_daily_chart_labels_a_day_a_week_and_today():
    daily = [stats.DayCount(TODAY - datetime.timedelta(days=offset), offset % 3) for offset in range(29, -1, -1)]
    root = parse(stats_charts.daily_chart(daily))

    labels = [text.text for text in root.iter(f"{SVG}text") if text.text and text.text[0].isdigit() and " " in text.text]
    assert labels[-1] == "21 Nov" and len(labels) == 5
    assert len(root.findall(f"{SVG}g[@class='column']")) == 30
    assert "busiest day" in root.find(f"{SVG}desc").text


def test_charts_of_all_zeros_and_bad_input():
    daily = [stats.DayCount(TODAY - datetime.timedelta(days=offset), 0) for offset in range(89, -1, -1)]
    parse(stats_charts.daily_chart(daily))
    parse(stats_charts.digit_chart([0] * 10))
    with pytest.raises(ValueError):
        stats_charts.digit_chart([1, 2])
    with pytest.raises(ValueError):
        stats_charts.column_chart(title="t", description="d", labels=["a"], values=[-1], bar_titles=["x"],
                                  x_label="x", y_label="y")


# --- Pages ------------------------------------------------------------------------------


def test_the_statistics_page_shows_the_users_own_figures_and_charts(user_client, alices_history, bobs_history):
    response = user_client.get("/stats/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your statistics" in page
    assert "28.6%" in page and "2 right of 7 judged" in page
    assert "7 read as 1: 3 times" in page and "9 read as 4: once" in page
    assert page.count('class="chart chart-columns"') == 2 and 'class="chart chart-confusion"' in page
    assert "/stats/all/" not in page  # not staff
    assert "3 read as 8" not in page  # Bob's


def test_the_window_is_30_or_90_days(user_client, alices_history):
    ninety = user_client.get("/stats/?days=90").content.decode()
    assert "Submissions per day, last 90 days" in ninety

    for odd in ("7", "abc", "-1", "100000"):
        assert "Submissions per day, last 30 days" in user_client.get(f"/stats/?days={odd}").content.decode()


def test_an_empty_statistics_page_is_friendly(user_client):
    response = user_client.get("/stats/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing to count yet" in page and "<svg" not in page


def test_the_all_users_page_is_staff_only(client, user_client, user, alices_history):
    assert user_client.get("/stats/all/").status_code == 404
    client.logout()
    response = client.get("/stats/all/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_see_everyone_and_can_narrow_to_a_version(client, django_user_model, alices_history, bobs_history):
    staff = django_user_model.objects.create_user(username="sam", password="x-Staff-pass-77", is_staff=True)
    client.force_login(staff)

    page = client.get("/stats/all/").content.decode()
    assert "Statistics: all users" in page and "By model version" in page
    assert "3 read as 8" in page and "7 read as 1" in page
    assert 'href="?version=v-old"' in page

    narrowed = client.get("/stats/all/?version=v-old&days=90").content.decode()
    assert '<option value="v-old" selected>' in narrowed
    assert 'class="is-selected"' in narrowed
    assert "7 read as 1" not in narrowed and "9 read as 4: once" in narrowed

    assert client.get("/stats/all/?version=no-such-version").status_code == 404
    # Their own page is theirs alone, with a way to everyone's.
    assert "/stats/all/" in client.get("/stats/").content.decode()


def test_a_version_that_answered_nobody_has_an_empty_state(client, django_user_model, alices_history):
    staff = django_user_model.objects.create_user(username="sam", password="x-Staff-pass-77", is_staff=True)
    ModelVersion.objects.create(version="v-unused", arch="cnn")
    client.force_login(staff)

    page = client.get("/stats/all/?version=v-unused").content.decode()
    assert "No submissions for this version" in page
