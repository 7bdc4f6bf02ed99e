"""The form-error and paging helpers every app's pages share."""

from django import forms
from django.core.files.base import ContentFile
from django.test import RequestFactory

from xiaoneng.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from xiaoneng.core.views import (
    add_domain_errors,
    download,
    error_status,
    paginate,
    query_without_page,
)


class _Form(forms.Form):
    name = forms.CharField(required=False)
    phone = forms.CharField(required=False)


def _errors(exc, **kwargs):
    form = _Form({})
    form.is_valid()
    add_domain_errors(form, exc, **kwargs)
    return {k: list(v) for k, v in form.errors.items()}


def test_each_field_error_goes_beside_its_field_and_an_unknown_one_to_the_top():
    exc = ValidationFailed.from_errors(
        [
            FieldError(field="name", message="名称必填。"),
            FieldError(field="mobile", message="手机号码有误。"),
            FieldError(field="applicant.phone", message="电话有误。"),
        ]
    )
    assert _errors(exc) == {
        "name": ["名称必填。"],
        "__all__": ["手机号码有误。", "电话有误。"],
    }


def test_aliases_and_a_stripped_prefix_name_the_form_field():
    exc = ValidationFailed.from_errors(
        [
            FieldError(field="mobile", message="手机号码有误。"),
            FieldError(field="applicant.name", message="名称必填。"),
        ]
    )
    assert _errors(exc, aliases={"mobile": "phone"}, strip_prefix="applicant.") == {
        "phone": ["手机号码有误。"],
        "name": ["名称必填。"],
    }


def test_an_error_without_fields_goes_to_the_top():
    assert _errors(Conflict("已被他人修改，请刷新。")) == {"__all__": ["已被他人修改，请刷新。"]}


def test_the_page_status_is_the_errors_4xx_and_never_a_5xx():
    assert error_status(NotFound("x")) == 404
    assert error_status(Conflict("x")) == 409

    class Broken(ValidationFailed):
        status = 503

    assert error_status(Broken("x")) == 400


def test_paging_follows_the_query_and_the_pager_links_keep_the_filters():
    request = RequestFactory().get("/list/", {"state": "open", "page": "3"})
    page = paginate(request, list(range(60)), 25)
    assert (page.number, list(page.object_list)) == (3, list(range(50, 60)))
    assert query_without_page(request) == "state=open"
    assert paginate(RequestFactory().get("/list/", {"page": "x"}), list(range(60))).number == 1


def test_a_download_is_an_unsniffable_attachment_from_bytes_or_a_stored_file():
    rendered = download("通报".encode(), "问责通报-1.xlsx", "application/vnd.ms-excel")
    assert rendered.content == "通报".encode()
    assert rendered["Content-Type"] == "application/vnd.ms-excel"
    assert rendered["X-Content-Type-Options"] == "nosniff"
    assert rendered["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E9%97%AE%E8%B4%A3" in rendered["Content-Disposition"]

    stored = download(ContentFile(b"%PDF-1.7", name="x.pdf"), "DB1.pdf", "application/pdf")
    assert stored.getvalue() == b"%PDF-1.7"
    assert stored["Content-Disposition"] == 'attachment; filename="DB1.pdf"'
    assert stored["X-Content-Type-Options"] == "nosniff"
