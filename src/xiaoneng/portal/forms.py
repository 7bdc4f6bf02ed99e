"""The public search form: every filter validated, errors in Chinese naming the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import ItemType


class ItemSearchForm(forms.Form):
    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=100,
        error_messages={"max_length": _("关键词不能超过 %(limit_value)d 个字。")},
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("输入事项名称或拼音首字母，如：营业执照 / yyzz"),
                "autocomplete": "off",
            }
        ),
    )
    department = forms.TypedChoiceField(
        label=_("实施部门"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("实施部门不存在，请重新选择。")},
    )
    topic = forms.ChoiceField(
        label=_("主题"),
        required=False,
        error_messages={"invalid_choice": _("主题不存在，请重新选择。")},
    )
    item_type = forms.ChoiceField(
        label=_("事项类型"),
        required=False,
        choices=[("", _("全部类型")), *ItemType.choices],
        error_messages={"invalid_choice": _("事项类型无效，请重新选择。")},
    )

    def __init__(self, *args: Any, departments: Any = (), topics: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        department = cast(forms.ChoiceField, self.fields["department"])
        topic = cast(forms.ChoiceField, self.fields["topic"])
        department.choices = [("", _("全部部门"))] + [(d.pk, d.name) for d in departments]
        topic.choices = [("", _("全部主题"))] + [(t.code, t.name) for t in topics]
