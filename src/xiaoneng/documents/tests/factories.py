"""Sample notices of every kind, as a case would fill them (used by tests and bench)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from xiaoneng.documents.notices import DocumentKind, LicenceData, NoticeData, TableData

DEPARTMENT = "示范市市场监督管理局"
CASE_NUMBER = "370102-20261125-000123"
QR_URL = "https://zwfw.example.gov.cn/progress/?case=370102-20261125-000123"

MISSING_MATERIALS = TableData(
    headers=["序号", "材料名称", "补正要求"],
    rows=[
        ["1", "食品经营许可申请书", "缺少法定代表人签字，请签字后提交原件。"],
        ["2", "营业执照复印件", "复印件不清晰，请提交加盖公章的清晰复印件。"],
        ["3", "食品安全管理制度文本", "未提交，请补充提交。"],
    ],
)


def notice(kind: DocumentKind, **overrides: Any) -> NoticeData:
    """A complete notice of ``kind``; override any field."""
    base = NoticeData(
        kind=kind,
        case_number=CASE_NUMBER,
        department_name=DEPARTMENT,
        addressee="示范市张记餐饮管理有限公司",
        date=dt.date(2026, 11, 25),
        doc_number="示市监受字〔2026〕第000123号",
        item_name="食品经营许可（新办）",
        received_on=dt.date(2026, 11, 23),
        accepted_on=dt.date(2026, 11, 24),
        qr_url=QR_URL,
        seal_label="行政许可专用章",
    )
    extra: dict[str, Any] = {}
    if kind is DocumentKind.RECEIPT:
        extra["table"] = TableData(
            headers=["序号", "材料名称", "份数", "形式"],
            rows=[
                ["1", "食品经营许可申请书", "1", "原件"],
                ["2", "营业执照复印件", "1", "复印件"],
            ],
        )
    elif kind is DocumentKind.ACCEPTANCE:
        extra["promised_date"] = dt.date(2026, 12, 8)
    elif kind is DocumentKind.REFUSAL:
        extra["reason"] = "申请事项依法不属于本机关职权范围，请向示范市卫生健康委员会提出申请。"
        extra["legal_basis"] = "《中华人民共和国行政许可法》第三十二条第一款第（二）项"
    elif kind is DocumentKind.SUPPLEMENT_NOTICE:
        extra["table"] = MISSING_MATERIALS
        extra["supplement_until"] = dt.date(2026, 12, 25)
    elif kind is DocumentKind.SPECIAL_PROCEDURE_NOTICE:
        extra["procedure"] = "专家评审"
        extra["procedure_days"] = 15
        extra["procedure_until"] = dt.date(2026, 12, 16)
    elif kind is DocumentKind.EXTENSION_NOTICE:
        extra["reason"] = "现场核查涉及多个经营场所，需补充核查"
        extra["extension_days"] = 10
        extra["new_due_date"] = dt.date(2027, 1, 5)
    elif kind is DocumentKind.DECISION_GRANT:
        extra["legal_basis"] = (
            "《中华人民共和国食品安全法》第三十五条、《食品经营许可和备案管理办法》"
        )
        extra["licence"] = LicenceData(
            number="JY13701020012345",
            holder="示范市张记餐饮管理有限公司",
            scope="热食类食品制售；冷食类食品制售",
            valid_from=dt.date(2026, 11, 25),
            valid_until=dt.date(2031, 11, 24),
        )
    elif kind is DocumentKind.DECISION_REFUSAL:
        extra["reason"] = "经现场核查，经营场所与有毒、有害场所的距离不符合要求。"
        extra["legal_basis"] = "《食品经营许可和备案管理办法》第十二条"
    elif kind is DocumentKind.LICENCE:
        extra["licence"] = LicenceData(
            number="JY13701020012345",
            holder="示范市张记餐饮管理有限公司",
            holder_code="91370102MA3C****7X",
            address="示范市历下区文化路88号",
            scope="热食类食品制售；冷食类食品制售",
            valid_from=dt.date(2026, 11, 25),
            valid_until=dt.date(2031, 11, 24),
        )
        extra["doc_number"] = ""
    elif kind in (DocumentKind.SUPERVISION_ORDER, DocumentKind.GENERIC):
        extra["title"] = "督办单" if kind is DocumentKind.SUPERVISION_ORDER else "情况告知书"
        extra["paragraphs"] = [
            "你单位承办的第370102-20261125-000123号案件已超过承诺办结期限，请于两个工作日内"
            "办结并反馈办理情况。"
        ]
    extra.update(overrides)
    return dataclasses.replace(base, **extra)


def long_supplement(rows: int = 60) -> NoticeData:
    """A supplement notice long enough to run over several pages."""
    table = TableData(
        headers=["序号", "材料名称", "补正要求"],
        rows=[
            [
                str(i),
                f"第{i}项申请材料（含附件及说明）",
                "材料内容与申请事项不一致，请核对后重新提交加盖公章的原件，并附情况说明。",
            ]
            for i in range(1, rows + 1)
        ],
    )
    return notice(DocumentKind.SUPPLEMENT_NOTICE, table=table)
