"""Django admin for setting up the organisation (regions, departments, staff, windows …).

The admin never saves a domain object itself: each "add" form calls the service that
validates, checks the acting administrator's scope and writes the audit event, and shows
the service's Chinese field errors on the form. Existing rows are read-only here; later
changes go through the services' own pages and commands.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.errors import DomainError

from . import services
from .models import (
    BackupPair,
    ChiefRepresentative,
    Department,
    Region,
    Role,
    Staff,
    Window,
)


class ServiceAddForm(forms.ModelForm):
    """A model form whose ``clean`` creates the object through a service.

    The admin's add view runs inside one transaction; the service runs in its own nested
    block, so a refusal rolls back everything it did and its errors land on the form.
    """

    request: HttpRequest | None = None

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # Validation is the service's job (model validation would duplicate it, and the
        # unsaved instance lacks the fields the service derives, such as a region's path).
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or self.request is None:
            return data
        try:
            with transaction.atomic():
                self.instance = type(self).create(self.request.user, data)
        except DomainError as exc:
            if not exc.errors:  # a refusal about the whole form (e.g. out of scope)
                self.add_error(None, str(exc.message))
            for err in exc.errors:
                field = err.field.split(".")[0].split("[")[0]
                self.add_error(field if field in self.fields else None, str(err.message))
        return data

    def save(self, commit: bool = True) -> Any:
        return self.instance  # already saved by the service

    def save_m2m(self) -> None:
        pass


class ServiceAdmin(admin.ModelAdmin):
    """Adds through a service; shows existing rows read-only."""

    add_form: type[ServiceAddForm] = ServiceAddForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = self.add_form
        form: Any = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": list(self.add_form.base_fields)})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # the add form's service call saved it

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegionAddForm(ServiceAddForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> Region:
        return services.region_create(
            actor=actor,
            code=data["code"],
            name=data["name"],
            level=data["level"],
            parent=data.get("parent"),
        )


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    add_form = RegionAddForm
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    ordering = ("path",)


class DepartmentAddForm(ServiceAddForm):
    class Meta:
        model = Department
        fields = ["name", "short_name", "credit_code", "region", "phone", "address"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> Department:
        return services.department_create(
            actor=actor,
            name=data["name"],
            short_name=data.get("short_name") or "",
            credit_code=data["credit_code"],
            region=data.get("region"),
            phone=data.get("phone") or "",
            address=data.get("address") or "",
        )


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    add_form = DepartmentAddForm
    list_display = ("name", "short_name", "credit_code", "region")
    list_filter = ("region",)
    search_fields = ("name", "short_name", "credit_code")


class StaffAddForm(ServiceAddForm):
    username = forms.CharField(label=_("登录名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=64)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput(render_value=False), min_length=8
    )
    mobile = forms.CharField(label=_("手机号码"), max_length=20, required=False)

    class Meta:
        model = Staff
        fields = ["username", "full_name", "department", "title", "roles", "password", "mobile"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> Staff:
        return services.staff_create(
            actor=actor,
            username=data["username"],
            full_name=data["full_name"],
            department=data["department"],
            roles=data.get("roles") or (),
            password=data["password"],
            mobile=data.get("mobile") or None,
            title=data.get("title") or "",
        )


@admin.register(Staff)
class StaffAdmin(ServiceAdmin):
    add_form = StaffAddForm
    list_display = ("user", "department", "title", "is_absent", "is_active")
    list_filter = ("department__region", "is_absent", "is_active")
    search_fields = ("user__username", "user__full_name", "department__name")
    list_select_related = ("user", "department")


class WindowAddForm(ServiceAddForm):
    class Meta:
        model = Window
        fields = ["region", "code", "name", "hall", "departments", "staff"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> Window:
        return services.window_create(
            actor=actor,
            region=data["region"],
            code=data["code"],
            name=data["name"],
            hall=data.get("hall") or "",
            departments=data.get("departments") or (),
            staff=data.get("staff") or (),
        )


@admin.register(Window)
class WindowAdmin(ServiceAdmin):
    add_form = WindowAddForm
    list_display = ("code", "name", "region", "hall")
    list_filter = ("region",)
    search_fields = ("code", "name")


class ChiefRepresentativeAddForm(ServiceAddForm):
    class Meta:
        model = ChiefRepresentative
        fields = ["staff", "authorisation", "authorised_on"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> ChiefRepresentative:
        return services.chief_representative_appoint(
            actor=actor,
            staff=data["staff"],
            authorisation=data["authorisation"],
            authorised_on=data["authorised_on"],
        )


@admin.register(ChiefRepresentative)
class ChiefRepresentativeAdmin(ServiceAdmin):
    add_form = ChiefRepresentativeAddForm
    list_display = ("staff", "department", "authorisation", "authorised_on")


class BackupPairAddForm(ServiceAddForm):
    class Meta:
        model = BackupPair
        fields = ["primary", "backup"]

    @staticmethod
    def create(actor: Any, data: dict[str, Any]) -> BackupPair:
        return services.backup_pair_set(actor=actor, primary=data["primary"], backup=data["backup"])


@admin.register(BackupPair)
class BackupPairAdmin(ServiceAdmin):
    add_form = BackupPairAddForm
    list_display = ("primary", "backup")
