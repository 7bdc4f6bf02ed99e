"""Forms of the case pages. They only shape input; every rule is checked by the services,
whose :class:`~xiaoneng.core.errors.DomainError` is shown beside the field it names
(:func:`xiaoneng.core.views.add_domain_errors`)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import Item, SpecialKind
from xiaoneng.core.errors import DomainError, ValidationFailed
from xiaoneng.core.views import add_domain_errors

from .files import check_upload
from .models import COUNTER_METHODS, ApplicantKind, CaseState, DecisionOutcome, TaskState
from .services import MaterialUpload

_REQUIRED = {"required": _("此项为必填项。")}
#: the services name the applicant's fields ``applicant.name`` …; the forms just ``name``
APPLICANT_PREFIX = "applicant."


def material_field(pk: int) -> str:
    return f"material_{pk}"


class MaterialUploadForm(forms.Form):
    """A form with one optional upload per catalogue material of ``item`` (the service
    checks what is required) and a fresh idempotency key against double submission."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.materials = list(item.materials.all())
        for material in self.materials:
            self.fields[material_field(material.pk)] = forms.FileField(
                label=material.name, required=False
            )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def material_rows(self) -> list[tuple[Any, forms.BoundField]]:
        return [(m, self[material_field(m.pk)]) for m in self.materials]

    def check_files(self) -> bool:
        """Type, size and content of each uploaded file, reported beside its material."""
        ok = True
        for material in self.materials:
            name = material_field(material.pk)
            upload = self.files.get(name)
            if upload is None:
                continue
            try:
                check_upload(upload, field=name)
            except ValidationFailed as exc:
                self.add_error(name, str(exc.message))
                ok = False
        return ok

    def uploads(self) -> list[MaterialUpload]:
        """The uploaded files, each with the material it is for."""
        files: Any = self.files  # a MultiValueDict of one upload per name
        return [
            MaterialUpload(file=files[material_field(m.pk)], requirement_id=m.pk)
            for m in self.materials
            if files.get(material_field(m.pk)) is not None
        ]

    def add_service_errors(self, exc: DomainError) -> None:
        """The service's errors beside the fields (``materials.<id>`` beside its upload)."""
        aliases = {f"materials.{m.pk}": material_field(m.pk) for m in self.materials}
        add_domain_errors(self, exc, aliases, strip_prefix=APPLICANT_PREFIX)


class ApplyForm(MaterialUploadForm):
    """An online application: a few form fields and one upload per catalogue material."""

    project_name = forms.CharField(
        label=_("申请事项名称或项目名称"), max_length=200, error_messages=_REQUIRED
    )
    address = forms.CharField(label=_("经营或项目地址"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    note = forms.CharField(
        label=_("申请说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def form_data(self) -> dict[str, str]:
        data = self.cleaned_data
        return {k: data.get(k) or "" for k in ("project_name", "address", "contact_phone", "note")}


class ReceiveForm(MaterialUploadForm):
    """窗口收件 / 代办: the clerk types in who applies."""

    kind = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantKind.choices)
    name = forms.CharField(label=_("申请人姓名或名称"), max_length=200, error_messages=_REQUIRED)
    id_number = forms.CharField(
        label=_("身份证号码或统一社会信用代码"), max_length=18, error_messages=_REQUIRED
    )
    mobile = forms.CharField(label=_("手机号码"), max_length=11, required=False)
    project_name = forms.CharField(
        label=_("申请事项名称或项目名称"), max_length=200, required=False
    )
    note = forms.CharField(
        label=_("收件说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SupplementUploadForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("补正文件"), error_messages={"required": _("请选择要上传的文件。")}
    )


class CaseFilterForm(forms.Form):
    number = forms.CharField(label=_("办件编号"), required=False, max_length=32)
    item_code = forms.CharField(label=_("事项编码"), required=False, max_length=64)
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *CaseState.choices]
    )
    received_from = forms.DateField(
        label=_("收件日期起"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_until = forms.DateField(
        label=_("收件日期止"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("任务状态"),
        required=False,
        choices=[
            ("", _("全部")),
            (TaskState.PENDING, TaskState.PENDING.label),
            (TaskState.REOPENED, TaskState.REOPENED.label),
            (TaskState.CLAIMED, TaskState.CLAIMED.label),
        ],
    )
    item_code = forms.CharField(label=_("事项编码"), required=False, max_length=64)


# --------------------------------------------------------------------------- case actions


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcceptForm(VersionedForm):
    note = forms.CharField(label=_("受理意见"), required=False, max_length=2000)


class RefuseForm(VersionedForm):
    reason = forms.CharField(
        label=_("不予受理理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    legal_basis = forms.CharField(
        label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupplementNoticeForm(VersionedForm):
    requirements = forms.MultipleChoiceField(
        label=_("需补正的材料"), required=False, widget=forms.CheckboxSelectMultiple
    )
    free_items = forms.CharField(
        label=_("其他补正内容（每行一项）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)

    def __init__(self, *args: Any, item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["requirements"]).choices = [
            (str(m.pk), m.name) for m in item.materials.all()
        ]

    def free_lines(self) -> list[str]:
        text = self.cleaned_data.get("free_items") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class DecisionForm(VersionedForm):
    outcome = forms.ChoiceField(
        label=_("决定"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    legal_basis = forms.CharField(
        label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SpecialStartForm(forms.Form):
    procedure = forms.ChoiceField(label=_("特别程序"), required=False)
    kind = forms.ChoiceField(
        label=_("种类（未选特别程序时）"),
        required=False,
        choices=[("", "—"), *SpecialKind.choices],
    )
    name = forms.CharField(label=_("名称（未选特别程序时）"), required=False, max_length=100)
    expected_days = forms.IntegerField(
        label=_("所需时间（工作日）"), required=False, min_value=1, max_value=365
    )
    notice_text = forms.CharField(
        label=_("书面告知内容"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedures = {str(p.pk): p for p in item.special_procedures.all()}
        cast(forms.ChoiceField, self.fields["procedure"]).choices = [
            ("", _("其他（填写下方名称和种类）")),
            *((pk, p.name) for pk, p in self.procedures.items()),
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("意见"), required=False, max_length=2000)


class SpecialEndForm(forms.Form):
    result = forms.CharField(label=_("特别程序结果"), required=False, max_length=2000)


class LicenceForm(forms.Form):
    name = forms.CharField(label=_("证照名称"), required=False, max_length=200)
    scope = forms.CharField(
        label=_("许可范围"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    valid_from = forms.DateField(
        label=_("有效期起"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TaskForm(VersionedForm):
    opinion = forms.CharField(
        label=_("办理意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeeAssessForm(forms.Form):
    """收费核定: one published fee item of the case's catalogue version. The amount is
    passed to the service as typed (it checks it against the standard)."""

    fee = forms.ChoiceField(label=_("收费项目"), error_messages=_REQUIRED)
    quantity = forms.IntegerField(
        label=_("数量"),
        initial=1,
        min_value=1,
        max_value=100000,
        error_messages={**_REQUIRED, "min_value": _("数量应为大于零的整数。")},
    )
    amount = forms.CharField(
        label=_("实收金额（元，按标准收取时留空）"), required=False, max_length=20
    )
    deviation_reason = forms.CharField(
        label=_("与标准不一致的理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    exempt = forms.BooleanField(label=_("减免"), required=False)
    exemption_basis = forms.CharField(
        label=_("减免依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fee"]).choices = [
            ("", "—"),
            *((str(f.pk), f"{f.name}（{f.amount}{f.unit or _('元')}）") for f in item.fees.all()),
        ]


class CounterPaymentForm(forms.Form):
    """窗口缴费: money taken at the counter; the service checks the amount is what is due."""

    amount = forms.CharField(label=_("实收金额（元）"), max_length=20, error_messages=_REQUIRED)
    method = forms.ChoiceField(
        label=_("缴费方式"),
        choices=[("", "—"), *((m.value, m.label) for m in COUNTER_METHODS)],
        error_messages=_REQUIRED,
    )
    receipt_number = forms.CharField(label=_("票据号码"), max_length=64, error_messages=_REQUIRED)


class RefundForm(forms.Form):
    reference = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(label=_("退款理由"), required=False, max_length=2000)
