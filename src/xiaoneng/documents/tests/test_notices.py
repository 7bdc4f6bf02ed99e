from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from xiaoneng.core.errors import ValidationFailed
from xiaoneng.documents import fonts
from xiaoneng.documents.layout import qr_matrix
from xiaoneng.documents.notices import (
    DocumentKind,
    NoticeData,
    TableData,
    document_filename,
    document_render,
)

from .factories import CASE_NUMBER, DEPARTMENT, QR_URL, long_supplement, notice

PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(pdf: bytes) -> str:
    """The text a reader extracts (poppler's pdftotext, as a person copying from the PDF)."""
    try:
        import pypdf
    except ImportError:
        pypdf = None
    if pypdf is not None:
        import io

        reader = pypdf.PdfReader(io.BytesIO(pdf))
        return "\n".join(page.extract_text() for page in reader.pages)
    if PDFTOTEXT is None:
        pytest.fail("need pypdf or poppler-utils (pdftotext) to check the PDF text")
    out = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def validation_fields(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.errors}


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_renders_a_one_page_pdf_with_embedded_font(kind):
    pdf = document_render(data=notice(kind))

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert b"/FontFile2" in pdf  # TrueType program embedded, not a reader-side CID font
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    text = flat(pdf_text(pdf))
    assert "第1页共1页" in text
    assert flat(DEPARTMENT) in text
    assert "2026年11月25日" in text


def test_acceptance_says_accepted_and_the_promised_date():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.ACCEPTANCE))))

    assert text.startswith("受理通知书示市监受字〔2026〕第000123号示范市张记餐饮管理有限公司：")
    assert (
        "你（单位）于2026年11月23日提出的食品经营许可（新办）申请，经审查，申请材料齐全、"
        "符合法定形式，本机关决定予以受理。" in text
    )
    assert "本机关将于2026年12月8日前作出行政许可决定。" in text
    assert "扫码查询办理进度" in text
    assert CASE_NUMBER in text


def test_refusal_shows_reason_legal_basis_and_remedy():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.REFUSAL))))

    assert "本机关决定不予受理。理由如下：申请事项依法不属于本机关职权范围" in text
    assert "法律依据：《中华人民共和国行政许可法》第三十二条第一款第（二）项" in text
    assert "六十日内依法申请行政复议" in text


def test_supplement_notice_lists_every_item_once_and_says_it_is_one_time():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.SUPPLEMENT_NOTICE))))

    assert "现一次性告知你（单位）需要补正的全部内容如下：" in text
    for name in ("食品经营许可申请书", "营业执照复印件", "食品安全管理制度文本"):
        assert text.count(name) == 1
    assert "请于2026年12月25日前补正上述全部材料。" in text
    assert "本通知为一次性告知，以上为需要补正的全部内容。" in text


def test_special_procedure_notice_states_procedure_and_time():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.SPECIAL_PROCEDURE_NOTICE))))

    assert "依法需要进行专家评审" in text
    assert "第四十五条" in text
    assert "预计所需时间为15个工作日，预计于2026年12月16日前完成" in text


def test_extension_notice_states_reason_and_new_date():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.EXTENSION_NOTICE))))

    assert "因现场核查涉及多个经营场所，需补充核查，不能在法定期限内作出决定" in text
    assert "办理期限延长10个工作日，本机关将于2027年1月5日前作出行政许可决定。" in text


def test_licence_shows_number_holder_scope_and_validity():
    text = flat(pdf_text(document_render(data=notice(DocumentKind.LICENCE))))

    assert "证照编号JY13701020012345" in text
    assert "持证主体示范市张记餐饮管理有限公司" in text
    assert "许可范围热食类食品制售；冷食类食品制售" in text
    assert "有效期限自2026年11月25日至2031年11月24日" in text


def test_long_table_runs_over_pages_with_numbers_and_repeated_header():
    pdf = document_render(data=long_supplement(60))

    pages = [flat(p) for p in pdf_text(pdf).split("\f") if p.strip()]
    assert len(pages) == page_count(pdf) >= 3
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"第{number}页共{total}页" in text
        if "项申请材料" in text:  # every page the table runs over repeats its header
            assert "序号材料名称补正要求" in text
        if number > 1:  # later pages say which notice and case they belong to
            assert f"补正材料通知书（一次性告知书）案件编号：{CASE_NUMBER}" in text
    rows = "".join(pages)
    assert [n for n in range(1, 61) if f"第{n}项申请材料" not in rows] == []
    # the closing words stay with the signature and seal on the last page
    assert "本通知为一次性告知" in pages[-1]
    assert flat(DEPARTMENT) in pages[-1]


def test_table_given_as_a_tuple():
    data = notice(DocumentKind.SUPPLEMENT_NOTICE, table=(["序号", "材料名称"], [["1", "身份证明"]]))
    assert "身份证明" in flat(pdf_text(document_render(data=data)))


def test_qr_matrix_encodes_the_progress_url():
    import qrcode

    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    reference.add_data(QR_URL)
    reference.make(fit=True)

    matrix = qr_matrix(QR_URL)

    assert matrix == reference.get_matrix()
    assert matrix != qr_matrix(QR_URL.replace("000123", "000124"))
    assert len(matrix) == 17 + 4 * reference.version


def test_same_data_same_bytes():
    data = notice(DocumentKind.ACCEPTANCE)
    assert document_render(data=data) == document_render(data=data)


def test_missing_case_number_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        document_render(data=notice(DocumentKind.ACCEPTANCE, case_number=" "))

    assert validation_fields(exc.value) == {"case_number": "请填写案件编号。"}
    assert exc.value.status == 422


def test_refusal_without_reason_or_basis_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        document_render(data=notice(DocumentKind.REFUSAL, reason="", legal_basis="", paragraphs=[]))

    assert validation_fields(exc.value) == {
        "reason": "请填写不予受理或不予许可的理由。",
        "legal_basis": "请填写法律依据。",
    }


def test_supplement_notice_without_items_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        document_render(
            data=notice(
                DocumentKind.SUPPLEMENT_NOTICE, table=TableData(headers=["材料名称"], rows=[])
            )
        )

    assert validation_fields(exc.value) == {
        "table": "补正材料通知书须一次性列明需要补正的全部材料，请至少填写一项。"
    }


@pytest.mark.parametrize(
    ("kind", "overrides", "expected"),
    [
        (
            DocumentKind.ACCEPTANCE,
            {"promised_date": None},
            {"promised_date": "请填写承诺办结日期。"},
        ),
        (
            DocumentKind.SPECIAL_PROCEDURE_NOTICE,
            {"procedure": "", "procedure_days": None, "procedure_until": None},
            {
                "procedure": "请填写特别程序名称。",
                "procedure_days": "请填写特别程序预计所需时间（工作日数或预计完成日期）。",
            },
        ),
        (
            DocumentKind.EXTENSION_NOTICE,
            {"reason": "", "new_due_date": None},
            {"reason": "请填写延期理由。", "new_due_date": "请填写延期后的办结日期。"},
        ),
        (DocumentKind.LICENCE, {"licence": None}, {"licence": "请填写证照信息。"}),
        (
            DocumentKind.GENERIC,
            {"title": "", "paragraphs": ["  "]},
            {"title": "请填写标题。", "paragraphs": "请填写正文。"},
        ),
        (DocumentKind.RECEIPT, {"qr_url": ""}, {"qr_url": "请填写办理进度查询网址。"}),
    ],
)
def test_required_fields_per_kind(kind, overrides, expected):
    with pytest.raises(ValidationFailed) as exc:
        document_render(data=notice(kind, **overrides))

    assert validation_fields(exc.value) == expected


def test_licence_validity_must_not_end_before_it_starts():
    lic = notice(DocumentKind.LICENCE).licence
    assert lic is not None
    bad = dataclasses.replace(lic, valid_until=lic.valid_from.replace(year=2025))
    with pytest.raises(ValidationFailed) as exc:
        document_render(data=notice(DocumentKind.LICENCE, licence=bad))

    assert validation_fields(exc.value) == {
        "licence.valid_until": "有效期截止日期不能早于起始日期。"
    }


def test_unknown_kind_is_refused():
    data = dataclasses.replace(notice(DocumentKind.GENERIC), kind="memo")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as exc:
        document_render(data=data)

    assert validation_fields(exc.value) == {"kind": "文书种类无效。"}


def test_missing_font_file_is_a_clear_configuration_error(tmp_path):
    missing = tmp_path / "nope.ttc"
    with override_settings(XN_PDF_FONT=str(missing)), pytest.raises(ImproperlyConfigured) as exc:
        document_render(data=notice(DocumentKind.ACCEPTANCE))

    assert str(missing) in str(exc.value)
    assert "fonts-wqy-microhei" in str(exc.value)


def test_postscript_outline_font_is_refused(tmp_path):
    cff = tmp_path / "cff.otf"
    cff.write_bytes(b"OTTO" + b"\0" * 64)
    with override_settings(XN_PDF_FONT=str(cff)), pytest.raises(ImproperlyConfigured) as exc:
        fonts.font_register()

    assert "cannot be embedded" in str(exc.value)


def test_english_rendering_uses_the_catalogue():
    data = dataclasses.replace(notice(DocumentKind.ACCEPTANCE), lang="en")
    text = pdf_text(document_render(data=data))

    assert "Notice of Acceptance" in text
    assert "by 8/12/2026" in text
    assert "Page 1 of 1" in text


def test_notice_data_is_plain_and_frozen():
    data = notice(DocumentKind.RECEIPT)
    assert isinstance(data, NoticeData)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.case_number = "x"  # type: ignore[misc]


def test_embedded_font_is_subset():
    pdf = document_render(data=notice(DocumentKind.ACCEPTANCE))
    # the whole WQY Micro Hei is 5 MB; a notice embeds only the glyphs it uses
    assert len(pdf) < 200_000


def test_a_table_row_taller_than_a_page_continues_on_the_next():
    requirement = "请提交经公证的原件并逐页加盖公章。" * 120
    data = notice(
        DocumentKind.SUPPLEMENT_NOTICE,
        table=TableData(
            headers=["序号", "材料名称", "补正要求"], rows=[["1", "章程", requirement]]
        ),
    )

    pdf = document_render(data=data)

    assert page_count(pdf) >= 2
    # nothing lost where the row breaks (a phrase may straddle the page break)
    assert flat(pdf_text(pdf)).count("逐") == 120


def test_markup_in_caller_text_is_shown_not_interpreted():
    data = notice(DocumentKind.GENERIC, paragraphs=["A & B <b>不是标签</b>"])

    assert "A&B<b>不是标签</b>" in flat(pdf_text(document_render(data=data)))


def test_document_filename():
    assert (
        document_filename(data=notice(DocumentKind.ACCEPTANCE))
        == "受理通知书-370102-20261125-000123.pdf"
    )
    assert document_filename(data=notice(DocumentKind.GENERIC, title="a/b c")) == (
        "a_b_c-370102-20261125-000123.pdf"
    )
