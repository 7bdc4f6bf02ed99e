"""``xiaoneng simulate``: the demo city worked through a few simulated days.

The demo is seeded once per test at the simulation's default start; each run then happens
inside a savepoint that is rolled back, so two runs see the same database.
"""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from xiaoneng.cases.models import Case, CaseFee
from xiaoneng.cli import main
from xiaoneng.demo import seed_demo
from xiaoneng.demo.simulate import DEFAULT_START, SimulationRefused, Summary, simulate
from xiaoneng.org.models import Staff

pytestmark = pytest.mark.django_db

#: Enough trouble in two small days to see every kind of outcome.
BUSY = {"late": 0.5, "supplement": 0.2, "refuse_intake": 0.1, "absent": 0.3}
#: Items with limits of a few days (企业设立登记, 特种设备使用登记, 施工许可, 建筑垃圾处置).
QUICK = ["990A0001", "990A0006", "990A0008", "990A0013"]


@pytest.fixture
def demo():
    with time_machine.travel(dt.datetime(2026, 2, 27, 8, 0, tzinfo=dt.UTC), tick=False):
        seed_demo()


def _run(**kwargs) -> Summary:
    """One simulation whose writes are rolled back afterwards."""
    with transaction.atomic():
        summary = simulate(**kwargs)
        transaction.set_rollback(True)
    return summary


def test_same_seed_same_summary_other_seed_other_summary(demo):
    first = _run(days=3, cases_per_day=4, seed=7, mix=BUSY, items=QUICK)
    again = _run(days=3, cases_per_day=4, seed=7, mix=BUSY, items=QUICK)
    other = _run(days=3, cases_per_day=4, seed=8, mix=BUSY, items=QUICK)

    assert first.facts() == again.facts()
    assert first.facts() != other.facts()
    # seeded on Friday 27 February 2026: the next working day is the make-up Saturday
    assert (first.first_day, first.last_day) == (dt.date(2026, 2, 28), dt.date(2026, 3, 3))
    assert first.cases == 12
    assert sum(first.by_state.values()) == 12
    assert len(first.by_state) >= 3, first.by_state
    levels = {level for _rule, level in first.alerts}
    assert {"yellow", "red"} <= levels, first.alerts
    assert first.events["sweeps"] >= 24
    assert first.wall_seconds > 0
    text = first.text()
    assert "办件状态 (cases by state)" in text
    assert "按时办结率 (on-time rate)" in text
    assert "件/秒 (cases/s of wall time)" in text


def test_fee_mistakes_are_recorded_with_their_reason_and_raise_the_fee_alert(demo):
    # 不动产登记 has published fees; every fee is charged off the standard
    with transaction.atomic():
        summary = simulate(
            days=4,
            cases_per_day=2,
            seed=2,
            items=["990C0041"],
            mix={"fee_mistake": 1.0, "late": 0, "supplement": 0, "refuse_intake": 0, "special": 0},
        )
        fees = list(CaseFee.objects.all())
        transaction.set_rollback(True)
    assert fees
    assert summary.events["fee_mistake"] == summary.events["fee"] == len(fees)
    for fee in fees:
        assert fee.deviates is True
        assert fee.amount != fee.standard_amount
        assert fee.deviation_reason == "窗口按旧标准计收，待核实"
    assert summary.alerts.get(("fee_deviates", "red"), 0) + summary.alerts.get(
        ("fee_deviates", "yellow"), 0
    ) == len(fees), summary.alerts


def test_absent_staff_come_back_and_a_second_run_is_refused(demo):
    with transaction.atomic():
        summary = simulate(days=1, cases_per_day=3, seed=3, mix={"absent": 1.0})
        # every A post with a backup was absent for the day; all are back at the end
        assert summary.events["absences"] > 0
        assert not Staff.objects.filter(is_absent=True).exists()
        assert Case.objects.exclude(idempotency_key__startswith="demo-case-").count() == 3
        with pytest.raises(SimulationRefused) as refused:
            simulate(days=1, cases_per_day=2, seed=1)
        assert "非演示办件" in str(refused.value.message)
        transaction.set_rollback(True)
    with pytest.raises(SimulationRefused) as backwards:
        simulate(days=1, cases_per_day=2, start=dt.date(2026, 2, 1))
    assert "模拟时间不能倒流" in str(backwards.value.message)


def test_the_command_seeds_an_empty_database_first_and_prints_the_summary(capsys):
    assert main(["simulate", "--days", "1", "--cases-per-day", "2", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    # an empty database is seeded at the default start, a Monday
    assert f"种子 seed 5，{DEFAULT_START} — {DEFAULT_START}" in out
    assert "已先生成演示数据 (demo city seeded first)" in out
    assert "办件 (cases)：2" in out
    assert "吞吐 (throughput)" in out
    assert Case.objects.exclude(idempotency_key__startswith="demo-case-").count() == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--days", "0", "--cases-per-day", "5"], "天数应为1到250之间的整数"),
        (["--days", "2", "--cases-per-day", "-3"], "每日办件数应为1到5000之间的整数"),
        (["--days", "x", "--cases-per-day", "5"], "天数应为1到250之间的整数"),
        (["--days", "2", "--cases-per-day", "5", "--mix", "late=2"], "比例应为0到1之间的数"),
        (["--days", "2", "--cases-per-day", "5", "--start", "2026-13-01"], "日期格式应为"),
    ],
)
def test_bad_arguments_exit_2_with_a_chinese_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["simulate", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_unknown_behaviour_name_exits_2_with_the_names(capsys):
    assert main(["simulate", "--days", "1", "--cases-per-day", "1", "--mix", "lazy=0.5"]) == 2
    err = capsys.readouterr().err
    assert "未知的行为参数“lazy”" in err
    assert "fee_mistake" in err
