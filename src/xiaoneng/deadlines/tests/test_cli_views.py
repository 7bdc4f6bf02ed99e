"""`xiaoneng deadline` and `xiaoneng calendar load` as a clerk and an admin use them."""

import datetime as dt
import json

import pytest
import time_machine

from xiaoneng.cli import main
from xiaoneng.deadlines.models import CalendarYear
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db


def test_deadline_command_prints_due_and_warn(capsys):
    code = main(["deadline", "--start", "2026-02-13 10:00", "--limit", "5个工作日"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[:2] == ["due: 2026-02-27T17:30+08:00", "warn: 2026-02-27T13:15+08:00"]


def test_deadline_command_explains(capsys):
    assert (
        main(["deadline", "--start", "2026-02-13 10:00", "--limit", "5 working days", "--explain"])
        == 0
    )
    out = capsys.readouterr().out
    assert "春节" in out


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        ("2026-02-13 10:00", "五天左右", "五天左右"),
        ("2026-12-20 10:00", "20个工作日", "2027"),
        ("明天", "5个工作日", "起算时间"),
    ],
)
def test_deadline_command_refuses_with_chinese_message(capsys, start, limit, expected):
    code = main(["deadline", "--start", start, "--limit", limit])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("错误：")
    assert expected in err


def test_calendar_load_command(tmp_path, capsys):
    path = tmp_path / "2027.json"
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "测试通知",
                "holidays": [{"date": "2027-01-01", "name": "元旦"}],
            }
        ),
        encoding="utf-8",
    )
    assert main(["calendar", "load", str(path)]) == 0
    assert "2027" in capsys.readouterr().out
    assert CalendarYear.objects.filter(year=2027).exists()
    path.write_text(json.dumps({"year": 2027, "holidays": "x"}), encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 2
    assert "holidays" in capsys.readouterr().err


def test_calendar_page_for_admin_only(client):
    clerk = factories.staff(roles=[Role.CLERK])
    client.force_login(clerk.user)
    assert client.get("/staff/calendar/").status_code == 403
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    client.force_login(admin.user)
    page = client.get("/staff/calendar/")
    assert page.status_code == 200
    assert "2026" in page.content.decode()


def test_calendar_page_reminds_from_november_that_next_year_is_missing(client):
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    client.force_login(admin.user)
    with time_machine.travel(dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)):
        assert "next-year-missing" not in client.get("/staff/calendar/").content.decode()
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)):
        page = client.get("/staff/calendar/").content.decode()
    assert "2027 年的放假安排尚未载入" in page


def test_calendar_page_upload_errors_and_success(client, tmp_path):
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    client.force_login(admin.user)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2027, "holidays": []}), encoding="utf-8")
    with bad.open("rb") as fh:
        response = client.post("/staff/calendar/", {"file": fh})
    assert response.status_code == 422
    assert "source" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "测试通知",
                "holidays": [{"date": "2027-01-01", "name": "元旦"}],
            }
        ),
        encoding="utf-8",
    )
    with good.open("rb") as fh:
        response = client.post("/staff/calendar/", {"file": fh}, follow=True)
    assert response.status_code == 200
    assert CalendarYear.objects.filter(year=2027).exists()
