"""The explanation shown to staff and applicants names every day that matters."""

from __future__ import annotations

from xiaoneng.clock import Limit, Timer, explain_due

from .helpers import NATIONAL, at


def test_five_working_days_over_the_spring_festival_in_chinese() -> None:
    text = explain_due(NATIONAL, at(2026, 2, 13, 10), Limit.parse("5个工作日"))
    assert text.splitlines() == [
        "开始时间：2026-02-13 10:00（星期五）（时区 Asia/Shanghai）",
        "期限：5个工作日",
        "计算规则：起始日（2026-02-13）不计入，自次日起算；期限截止于第 5 个工作日的办公结束时间"
        " 17:30；法定节假日、周末不计入，调休上班日计入。",
        "逐日计算：",
        "  2026-02-14（星期六） 第 1 个工作日（春节调休上班日，计入）",
        "  2026-02-15（星期日） 至 2026-02-23（星期一） 春节放假，不计入（9 天）",
        "  2026-02-24（星期二） 至 2026-02-27（星期五） 第 2–5 个工作日",
        "到期时间：2026-02-27 17:30（星期五）",
        "预警时间：2026-02-27 13:15（星期五）（用去 90% 时限时）",
    ]


def test_the_same_in_english() -> None:
    text = explain_due(NATIONAL, at(2026, 2, 13, 10), Limit.parse("5个工作日"), "en")
    assert "Limit: 5 working days" in text
    assert "the start day (2026-02-13) is not counted" in text
    assert (
        "2026-02-14 (Saturday) working day 1 (make-up workday for Spring Festival, counted)" in text
    )
    assert (
        "2026-02-15 (Sunday) – 2026-02-23 (Monday) Spring Festival holiday, not counted (9 days)"
        in text
    )
    assert "Due: 2026-02-27 17:30 (Friday)" in text
    assert "Warning: 2026-02-27 13:15 (Friday)" in text


def test_a_long_limit_names_every_holiday_and_makeup_day() -> None:
    limit = Limit.parse("30个工作日")
    zh = explain_due(NATIONAL, at(2026, 9, 10, 10), limit)
    en = explain_due(NATIONAL, at(2026, 9, 10, 10), limit, "en")
    for needle in (
        "2026-09-20（星期日） 第 7 个工作日（国庆节调休上班日，计入）",
        "2026-09-25（星期五） 至 2026-09-27（星期日） 中秋节放假，不计入（3 天）",
        "2026-10-01（星期四） 至 2026-10-07（星期三） 国庆节放假，不计入（7 天）",
        "2026-10-10（星期六）",
        "国庆节调休上班日",
    ):
        assert needle in zh
    for needle in (
        "Mid-autumn Festival holiday",
        "National Day holiday",
        "make-up workday for National Day",
    ):
        assert needle in en
    # grouped: fewer lines than days
    assert len(zh.splitlines()) < 30


def test_a_timer_explains_its_pause_and_extension() -> None:
    timer = (
        Timer.start(at=at(2026, 2, 10, 10), limit=Limit.parse("20个工作日"))
        .pause(at=at(2026, 2, 13, 15), reason="supplement", note="补身份证复印件")
        .resume(at=at(2026, 2, 25, 11))
        .extend(by=Limit.parse("10个工作日"), at=at(2026, 3, 10, 10), reason="负责人批准")
    )
    zh = timer.explain(NATIONAL)
    assert "期限：20个工作日（含延长合计 30个工作日）" in zh
    assert "Limit: 20 working days (30 working days in all with extensions)" in timer.explain(
        NATIONAL, "en"
    )
    assert "2026-02-14（星期六） 工作日（春节调休上班日），暂停期间，不计入（1 天）" in zh
    assert "2026-02-15（星期日） 至 2026-02-23（星期一） 春节放假，不计入（9 天）" in zh
    assert (
        "  2026-02-13 15:00（星期五） 至 2026-02-25 11:00（星期三），原因：补正材料，"
        "补身份证复印件；补回工作时间 2 个工作日 4 小时 30 分钟"
    ) in zh
    assert "  2026-03-10 10:00（星期二） 批准延长 10个工作日，原因：负责人批准" in zh
    assert "到期时间：2026-04-02 13:30（星期四）" in zh
    assert "预警时间：2026-03-30 13:30（星期一）" in zh
    en = timer.explain(NATIONAL, "en")
    assert "reason: supplement of materials" in en
    assert "working time added back: 2 working days 4 hours 30 minutes" in en
    assert "extended by 10 working days, reason: 负责人批准" in en
    assert "Due: 2026-04-02 13:30 (Thursday)" in en


def test_a_paused_timer_says_it_has_no_due_time_yet() -> None:
    timer = Timer.start(at=at(2026, 3, 2, 10), limit=Limit.parse("5个工作日")).pause(
        at=at(2026, 3, 3, 10), reason="special_procedure"
    )
    assert "到期时间：暂停中，恢复后重新计算。" in timer.explain(NATIONAL)
    assert "reason: special procedure" in timer.explain(NATIONAL, "en")


def test_calendar_days_moved_past_national_day() -> None:
    text = explain_due(NATIONAL, at(2026, 9, 1, 10), Limit.parse("30天"))
    assert "第 30 日：2026-10-01（星期四）" in text
    assert "顺延至其后第一个工作日" in text
    assert "国庆节放假，不计入（7 天）" in text
    assert "到期时间：2026-10-08 17:30（星期四）" in text


def test_elapsed_hours() -> None:
    text = explain_due(NATIONAL, at(2026, 2, 16, 23), Limit.parse("2 hours"), "en")
    assert "Rule: elapsed time counts" in text
    assert "Due: 2026-02-17 01:00 (Tuesday)" in text
