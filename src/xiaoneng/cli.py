"""The ``xiaoneng`` command: 效能平台命令行 / Xiaoneng command line.

Each subcommand is a thin wrapper: it parses arguments, sets Django up and calls one
service or selector of an app. Errors that users can fix print in Chinese and exit 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    import django

    django.setup()


def _fail(message: object) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from xiaoneng.demo import seed_demo

    report = seed_demo()
    print(report)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    import getpass

    from xiaoneng.core.errors import DomainError
    from xiaoneng.org.services import platform_admin_create

    password = args.password or os.environ.get("XN_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("密码 / Password: ")
    try:
        user = platform_admin_create(username=args.username, password=password)
    except DomainError as exc:
        return _fail(exc.message)
    print(f"已创建管理员 / admin created: {user.username}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from waitress import serve

    from xiaoneng.demo import database_is_empty, seed_demo
    from xiaoneng.schedule import InProcessScheduler
    from xiaoneng.wsgi import application

    call_command("migrate", interactive=False, verbosity=0)
    if database_is_empty():
        print("首次启动，正在生成演示数据 / seeding demo data …")
        print(seed_demo())
    scheduler = InProcessScheduler()
    scheduler.start()
    print(f"效能平台 / Xiaoneng on http://{args.host}:{args.port}/  (Ctrl-C 退出)")
    try:
        serve(application, host=args.host, port=args.port, threads=8, ident="xiaoneng")
    finally:
        scheduler.stop()
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from xiaoneng.catalog.transfer import catalog_import
    from xiaoneng.core.errors import ValidationFailed

    try:
        result = catalog_import(path=Path(args.file), actor=None)
    except ValidationFailed as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        for err in exc.errors:
            where = f"{err.location} " if err.location else ""
            print(f"  {where}[{err.field}] {err.message}", file=sys.stderr)
        return EXIT_USAGE
    print(result)
    return 0


def cmd_catalog_export(args: argparse.Namespace) -> int:
    from xiaoneng.catalog.transfer import catalog_export

    data = catalog_export(fmt=args.format)
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from xiaoneng.audit.services import audit_seal, audit_verify

    published = None
    if args.published:
        try:
            raw = json.loads(Path(args.published).read_text(encoding="utf-8"))
            published = {dt.date.fromisoformat(day): str(head) for day, head in raw.items()}
        except (OSError, ValueError, AttributeError) as exc:
            return _fail(f"已公布检查点文件无法读取 / cannot read the published heads: {exc}")
    if not args.no_seal:
        audit_seal()
    report = audit_verify(published_heads=published)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_calendar_load(args: argparse.Namespace) -> int:
    from xiaoneng.core.errors import DomainError
    from xiaoneng.deadlines.services import calendar_load_file

    try:
        result = calendar_load_file(path=Path(args.file), actor=None)
    except DomainError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        for err in exc.errors:
            print(f"  [{err.field}] {err.message}", file=sys.stderr)
        return EXIT_USAGE
    print(result)
    return 0


def cmd_deadline(args: argparse.Namespace) -> int:
    from xiaoneng.core.errors import DomainError
    from xiaoneng.deadlines.selectors import deadline_answer

    try:
        answer = deadline_answer(
            start=args.start, limit=args.limit, region_code=args.region, explain=args.explain
        )
    except DomainError as exc:
        return _fail(exc.message)
    print(answer)
    return 0


def cmd_supervise(args: argparse.Namespace) -> int:
    from xiaoneng.supervision.services import supervision_sweep

    if not args.once:
        return _fail("目前只支持 --once / only --once is supported")
    print(f"new alerts: {supervision_sweep()}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from xiaoneng.core.errors import DomainError
    from xiaoneng.demo.simulate import simulate

    call_command("migrate", interactive=False, verbosity=0)
    try:
        summary = simulate(
            days=args.days,
            cases_per_day=args.cases_per_day,
            seed=args.seed,
            start=args.start,
            mix=dict(args.mix),
            documents=args.documents,
            items=args.item,
        )
    except DomainError as exc:
        return _fail(exc.message)
    print(summary.text())
    return 0


def _bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what}应为{low}到{high}之间的整数：{text}")
        return value

    return parse


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def _mix_pair(text: str) -> tuple[str, float]:
    name, sep, raw = text.partition("=")  # the name is checked by the simulation
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"应为 名称=比例（如 late=0.3）：{text}")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"比例应为0到1之间的数：{text}")
    return name.strip(), value


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xiaoneng manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xiaoneng",
        description="效能政务服务平台命令行 / Xiaoneng administrative-efficiency platform",
    )
    parser.add_argument("-v", "--verbosity", type=int, default=1, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = add("run", "启动平台（迁移、首次演示数据、网页与调度器）/ start the platform", cmd_run)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    add("migrate", "升级数据库结构 / apply database migrations", cmd_migrate)
    add(
        "seed-demo",
        "生成示范市演示数据（可重复执行）/ seed the demo city (idempotent)",
        cmd_seed_demo,
    )
    p = add("createadmin", "创建平台管理员 / create a platform administrator", cmd_createadmin)
    p.add_argument("--username", default="admin")
    p.add_argument("--password", help="也可用环境变量 XN_ADMIN_PASSWORD / or XN_ADMIN_PASSWORD")

    p = add("catalog", "事项目录导入导出 / catalogue import and export", lambda a: 0)
    csub = p.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    pi = csub.add_parser("import", help="从 JSON 或 Excel 导入目录 / import JSON or Excel")
    pi.add_argument("file")
    pi.set_defaults(func=cmd_catalog_import)
    pe = csub.add_parser("export", help="导出目录 / export the catalogue")
    pe.add_argument("--format", choices=["json", "xlsx"], default="json")
    pe.add_argument("--output", help="输出文件（默认标准输出）/ output file (default stdout)")
    pe.set_defaults(func=cmd_catalog_export)

    p = add("audit", "审计日志 / audit log", lambda a: 0)
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    pv = asub.add_parser("verify", help="校验审计链完整性 / verify the audit chain")
    pv.add_argument("--no-seal", action="store_true", help="不先封存新事件 / do not seal first")
    pv.add_argument(
        "--published",
        metavar="FILE",
        help='门户公布的每日检查点 JSON {"2026-11-25": "<head hash>"} / published daily heads',
    )
    pv.set_defaults(func=cmd_audit_verify)

    p = add("calendar", "工作日历 / working-day calendar", lambda a: 0)
    calsub = p.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    pl = calsub.add_parser("load", help="载入一年的放假安排 / load a year's schedule")
    pl.add_argument("file")
    pl.set_defaults(func=cmd_calendar_load)

    p = add("deadline", "计算办理期限 / compute a deadline", cmd_deadline)
    p.add_argument("--start", required=True, help='起算时间，如 "2026-02-13 10:00"')
    p.add_argument("--limit", required=True, help='时限，如 "5个工作日" / "20 working days"')
    p.add_argument("--region", help="区划代码（12位）/ region code")
    p.add_argument("--explain", action="store_true", help="说明计算过程 / explain the count")

    p = add("supervise", "电子监察：扫描预警与超期 / supervision sweep of deadlines", cmd_supervise)
    p.add_argument("--once", action="store_true", help="只扫描一次 / run one sweep")

    p = add(
        "simulate",
        "模拟示范市若干工作日的办件（写入当前配置的数据库）/ simulate the demo city "
        "for some working days (writes into the configured database)",
        cmd_simulate,
    )
    p.epilog = (
        "在全新的演示数据库上运行（空库先生成演示数据；已有非演示办件则拒绝）；同一种子结果相同。"
        " / Runs on a fresh demo database (an empty one is seeded first; one holding other"
        " cases is refused); a seed always gives the same summary."
    )
    p.add_argument(
        "--days", required=True, type=_bounded_int(1, 250, "天数"), help="工作日数 / working days"
    )
    p.add_argument(
        "--cases-per-day",
        required=True,
        type=_bounded_int(1, 5000, "每日办件数"),
        help="每个工作日的申请件数 / applications per working day",
    )
    p.add_argument(
        "--seed", type=_bounded_int(0, 2**31 - 1, "种子"), default=1, help="随机种子 / seed"
    )
    p.add_argument("--start", type=_day, help="第一天（默认接续数据库）/ first day (YYYY-MM-DD)")
    p.add_argument(
        "--mix",
        action="append",
        default=[],
        type=_mix_pair,
        metavar="NAME=FRACTION",
        help="行为比例，如 fee_mistake=1、late=0.3 / behaviour fraction (repeatable)",
    )
    p.add_argument(
        "--item",
        action="append",
        default=[],
        metavar="CODE",
        help="只申请这些事项（编码前缀，如 990C0041）/ only these items (code prefix)",
    )
    p.add_argument(
        "--documents",
        action="store_true",
        help="同时生成书面通知书PDF（较慢）/ also render the PDF notices (slower)",
    )

    p = add("manage", "Django 管理命令 / Django management commands", cmd_manage)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
