"""Accounts API (``/api/v1/accounts/``): codes, applicant registration, tokens, the user.

Thin: each operation parses its own schema, calls one service or selector and maps the
result to its own output schema. Errors are :class:`~xiaoneng.core.errors.DomainError`
(4xx with the Chinese message naming the field, handled once in ``xiaoneng.api``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from xiaoneng.core.errors import Unauthenticated
from xiaoneng.core.identifiers import mask_mobile, normalize_mobile
from xiaoneng.notify.services import CODE_RESEND_SECONDS, CODE_TTL_SECONDS

from . import selectors, services
from .auth import API_AUTH
from .models import ApiToken, Applicant, ApplicantKind, User

router = Router()


# --------------------------------------------------------------------------- schemas


class CodeIn(Schema):
    mobile: str = Field(description="中国大陆手机号码")
    purpose: str = Field(description=" | ".join(services.CodePurpose))


class CodeSentOut(Schema):
    mobile_masked: str
    expires_in: int = Field(description="有效期（秒）")
    resend_after: int = Field(description="再次获取前需等待（秒）")


class ApplicantIn(Schema):
    mobile: str
    code: str = Field(description="注册用途的短信验证码")
    real_name: str
    resident_id: str
    kind: str = Field(ApplicantKind.PERSON, description=" | ".join(ApplicantKind.values))
    enterprise_name: str = ""
    credit_code: str = ""


class ApplicantOut(Schema):
    kind: str
    kind_label: str
    real_name: str
    resident_id_masked: str
    mobile_masked: str
    enterprise_name: str
    credit_code: str
    created_at: dt.datetime


class SmsTokenIn(Schema):
    mobile: str
    code: str = Field(description="登录用途（login）的短信验证码")
    name: str = Field(description="令牌名称，例如客户端名称")


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    is_staff_member: bool
    applicant: ApplicantOut | None


class TokenIn(Schema):
    name: str = Field(description="令牌名称，例如客户端名称")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIssuedOut(TokenOut):
    key: str = Field(description="令牌明文，仅此一次显示")


# --------------------------------------------------------------------------- mapping


def _applicant_out(applicant: Applicant) -> ApplicantOut:
    return ApplicantOut(
        kind=applicant.kind,
        kind_label=str(applicant.get_kind_display()),
        real_name=applicant.real_name,
        resident_id_masked=applicant.resident_id_masked,
        mobile_masked=applicant.mobile_masked,
        enterprise_name=applicant.enterprise_name,
        credit_code=applicant.credit_code,
        created_at=applicant.created_at,
    )


def _me_out(user: User) -> MeOut:
    applicant = selectors.applicant_of(user=user)
    return MeOut(
        id=user.pk,
        username=user.get_username(),
        full_name=user.full_name,
        is_staff_member=selectors.actor_scope(user).is_staff,
        applicant=_applicant_out(applicant) if applicant else None,
    )


def _token_out(token: ApiToken, **extra: Any) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        **extra,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Unauthenticated(_("请先登录。"))
    return user


# --------------------------------------------------------------------------- operations


@router.post("/codes", response={202: CodeSentOut}, summary="获取短信验证码 / send an SMS code")
def code_send(request: HttpRequest, payload: CodeIn) -> Status[CodeSentOut]:
    services.applicant_code_send(mobile=payload.mobile, purpose=payload.purpose)
    return Status(
        202,
        CodeSentOut(
            mobile_masked=mask_mobile(normalize_mobile(payload.mobile)),
            expires_in=CODE_TTL_SECONDS,
            resend_after=CODE_RESEND_SECONDS,
        ),
    )


@router.post(
    "/applicants", response={201: ApplicantOut}, summary="申请人注册 / register an applicant"
)
def applicant_register(request: HttpRequest, payload: ApplicantIn) -> Status[ApplicantOut]:
    applicant = services.applicant_register(**payload.dict())
    return Status(201, _applicant_out(applicant))


@router.post(
    "/tokens/sms",
    response={201: TokenIssuedOut},
    summary="用短信验证码换取 API 令牌 / exchange an SMS log-in code for an API token",
)
def token_issue_by_sms(request: HttpRequest, payload: SmsTokenIn) -> Status[dict[str, Any]]:
    """For clients without a browser session: no cookie is set, so no CSRF is involved."""
    token, key = services.api_token_issue_by_sms(
        mobile=payload.mobile, code=payload.code, name=payload.name
    )
    return Status(201, _token_out(token, key=key))


@router.get("/me", response=MeOut, auth=API_AUTH, summary="当前用户 / the current user")
def me(request: HttpRequest) -> MeOut:
    return _me_out(_user(request))


@router.get(
    "/tokens", response=list[TokenOut], auth=API_AUTH, summary="我的 API 令牌 / my API tokens"
)
def token_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_token_out(t) for t in selectors.api_token_list(user=_user(request))]


@router.post(
    "/tokens",
    response={201: TokenIssuedOut},
    auth=django_auth,
    summary="创建 API 令牌 / issue an API token",
)
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    user = _user(request)
    token, key = services.api_token_issue(actor=user, user=user, name=payload.name)
    return Status(201, _token_out(token, key=key))


@router.delete(
    "/tokens/{token_id}",
    response={204: None},
    auth=API_AUTH,
    summary="吊销 API 令牌 / revoke an API token",
)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    services.api_token_revoke(actor=_user(request), token_id=token_id)
    return Status(204, None)
