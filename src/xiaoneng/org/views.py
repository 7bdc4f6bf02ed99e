"""Log-in and log-out pages (Django's auth views with our templates and Chinese messages),
and the applicants' registration and SMS log-in pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xiaoneng.core.errors import DomainError
from xiaoneng.core.identifiers import mask_mobile, normalize_mobile
from xiaoneng.notify.services import CODE_TTL_SECONDS

from . import services
from .models import ApplicantKind, User


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
        error_messages={"required": _("请填写用户名。")},
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请填写密码。")},
    )

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入（密码区分大小写）。"),
        "inactive": _("该账号已停用，请联系平台管理员。"),
    }


class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): the header's 退出 button submits a form with its CSRF token."""


# --------------------------------------------------------------------------- applicants

#: Where an applicant lands after registering or logging in by SMS. "/me/" (我的办件) will
#: take over once the cases UI exists; until then the portal home, with a welcome message.
APPLICANT_HOME_URL = "/"

_MOBILE_ATTRS = {"inputmode": "numeric", "autocomplete": "tel", "maxlength": "14"}
_CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}


class SmsLoginForm(forms.Form):
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, **_MOBILE_ATTRS}),
        error_messages={"required": _("请填写手机号码。")},
    )
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )


class RegisterForm(SmsLoginForm):
    kind = forms.ChoiceField(
        label=_("申请人类型"),
        choices=ApplicantKind.choices,
        initial=ApplicantKind.PERSON,
        widget=forms.RadioSelect,
    )
    real_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    resident_id = forms.CharField(
        label=_("居民身份证号码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "18"}),
    )
    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "18"}),
    )


def _add_domain_errors(form: forms.Form, exc: DomainError) -> None:
    """Show each field error beside its field; anything else at the top of the form."""
    if not exc.errors:
        form.add_error(None, str(exc.message))
    for error in exc.errors:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _send_code(form: SmsLoginForm, purpose: str) -> str | None:
    """Issue a code for the form's mobile; return the confirmation, or put the error."""
    mobile = form.data.get("mobile", "")
    try:
        services.applicant_code_send(mobile=mobile, purpose=purpose)
    except DomainError as exc:
        _add_domain_errors(form, exc)
        return None
    return _code_sent_text(normalize_mobile(mobile))


def _code_sent_text(mobile: str) -> str:
    return _("验证码已发送至 %(mobile)s，%(minutes)d 分钟内有效。") % {
        "mobile": mask_mobile(mobile),
        "minutes": CODE_TTL_SECONDS // 60,
    }


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return APPLICANT_HOME_URL


def _log_in(request: HttpRequest, user: User) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


@require_POST
def code_send(request: HttpRequest) -> HttpResponse:
    """htmx: send a code for the form's mobile and answer with the status line."""
    purpose = request.POST.get("purpose", "")
    try:
        services.applicant_code_send(mobile=request.POST.get("mobile", ""), purpose=purpose)
    except DomainError as exc:
        # htmx swaps only 2xx answers by default: it gets the error line with 200.
        status = 200 if request.headers.get("HX-Request") else exc.status
        return render(request, "org/_code_status.html", {"error": str(exc.message)}, status=status)
    text = _code_sent_text(normalize_mobile(request.POST.get("mobile", "")))
    return render(request, "org/_code_status.html", {"sent": text})


def register(request: HttpRequest) -> HttpResponse:
    sent: str | None = None
    if request.method == "POST":
        form = RegisterForm(request.POST)
        if "send_code" in request.POST:  # without JavaScript the button submits the form
            sent = _send_code(form, services.CodePurpose.REGISTER)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                applicant = services.applicant_register(
                    mobile=data["mobile"],
                    code=data["code"],
                    real_name=data["real_name"],
                    resident_id=data["resident_id"],
                    kind=data["kind"],
                    enterprise_name=data["enterprise_name"],
                    credit_code=data["credit_code"],
                )
            except DomainError as exc:
                _add_domain_errors(form, exc)
            else:
                _log_in(request, applicant.user)
                messages.success(
                    request,
                    _("注册成功，欢迎您，%(name)s！今后请使用手机号码和短信验证码登录。")
                    % {"name": applicant.real_name},
                )
                return redirect(APPLICANT_HOME_URL)
    else:
        form = RegisterForm()
    return render(
        request,
        "org/register.html",
        {"form": form, "sent": sent, "purpose": services.CodePurpose.REGISTER},
    )


def sms_login(request: HttpRequest) -> HttpResponse:
    sent: str | None = None
    if request.method == "POST":
        form = SmsLoginForm(request.POST)
        if "send_code" in request.POST:
            sent = _send_code(form, services.CodePurpose.LOGIN)
        elif form.is_valid():
            try:
                user = services.applicant_login_code_check(
                    mobile=form.cleaned_data["mobile"], code=form.cleaned_data["code"]
                )
            except DomainError as exc:
                _add_domain_errors(form, exc)
            else:
                _log_in(request, user)
                messages.success(request, _("登录成功，欢迎您，%(name)s！") % {"name": user})
                return redirect(_safe_next(request))
    else:
        form = SmsLoginForm()
    return render(
        request,
        "org/sms_login.html",
        {
            "form": form,
            "sent": sent,
            "purpose": services.CodePurpose.LOGIN,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )
