"""API tokens: issued once in plaintext, stored as SHA-256, accepted as Bearer, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine

from xiaoneng.audit.models import AuditEvent
from xiaoneng.core.errors import NotFound, PermissionDenied, ValidationFailed
from xiaoneng.org import services
from xiaoneng.org.models import ApiToken, Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_issue_stores_only_the_hash_and_audits_ids():
    applicant = factories.applicant(real_name="王五")
    user = applicant.user

    token, key = services.api_token_issue(actor=user, user=user, name=" 报税 客户端 ")

    assert key.startswith("xn_")
    assert len(key) > 40
    assert token.name == "报税 客户端"
    assert token.prefix == key[:10]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    event = AuditEvent.objects.get(action="org.api_token_issued")
    assert event.payload == {"user_id": user.pk, "token_id": token.pk, "prefix": token.prefix}


def test_only_oneself_or_a_platform_admin_issues_a_token():
    alice = factories.applicant().user
    bob = factories.applicant().user
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN]).user

    with pytest.raises(PermissionDenied) as exc:
        services.api_token_issue(actor=alice, user=bob, name="x")
    assert str(exc.value.message) == "只能为自己的账号创建 API 令牌。"
    assert ApiToken.objects.count() == 0
    token, _key = services.api_token_issue(actor=admin, user=bob, name="运维")
    assert token.user == bob


def test_a_name_is_required():
    user = factories.applicant().user

    with pytest.raises(ValidationFailed) as exc:
        services.api_token_issue(actor=user, user=user, name="   ")

    assert (exc.value.field, str(exc.value.message)) == ("name", "请填写令牌名称。")
    assert ApiToken.objects.count() == 0


def test_revoke_is_own_tokens_only_and_idempotent():
    alice = factories.applicant().user
    bob = factories.applicant().user
    token, _key = services.api_token_issue(actor=alice, user=alice, name="a")

    with pytest.raises(NotFound):
        services.api_token_revoke(actor=bob, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None

    with time_machine.travel(T0, tick=False):
        services.api_token_revoke(actor=alice, token_id=token.pk)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.api_token_revoke(actor=alice, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at == T0
    assert AuditEvent.objects.filter(action="org.api_token_revoked").count() == 1


# --------------------------------------------------------------------------- HTTP


def test_me_with_a_valid_token(client):
    applicant = factories.applicant(real_name="王五")
    _token, key = services.api_token_issue(actor=applicant.user, user=applicant.user, name="c")

    with time_machine.travel(T0, tick=False):
        response = client.get("/api/v1/accounts/me", **_bearer(key))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == applicant.user.pk
    assert body["full_name"] == "王五"
    assert body["is_staff_member"] is False
    assert body["applicant"]["kind"] == "person"
    assert body["applicant"]["resident_id_masked"] == applicant.resident_id_masked
    assert ApiToken.objects.get().last_used_at == T0


def test_me_for_staff_by_token(client):
    staff = factories.staff(roles=[Role.CLERK], username="clerk9")
    _token, key = services.api_token_issue(actor=staff.user, user=staff.user, name="c")

    body = client.get("/api/v1/accounts/me", **_bearer(key)).json()

    assert (body["username"], body["is_staff_member"], body["applicant"]) == (
        "clerk9",
        True,
        None,
    )


def test_a_revoked_token_is_refused(client):
    user = factories.applicant().user
    token, key = services.api_token_issue(actor=user, user=user, name="c")
    services.api_token_revoke(actor=user, token_id=token.pk)

    response = client.get("/api/v1/accounts/me", **_bearer(key))

    assert response.status_code == 401
    assert response.json()["message"] == "API 令牌无效或已吊销。"


@pytest.mark.parametrize("key", ["xn_wrong", "not-even-ours", ""])
def test_a_wrong_token_is_refused(client, key):
    user = factories.applicant().user
    services.api_token_issue(actor=user, user=user, name="c")

    response = client.get("/api/v1/accounts/me", **_bearer(key))

    assert response.status_code == 401


def test_no_credentials_is_401(client):
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_a_deactivated_user_token_is_refused(client):
    user = factories.applicant().user
    _token, key = services.api_token_issue(actor=user, user=user, name="c")
    user.is_active = False
    user.save()

    assert client.get("/api/v1/accounts/me", **_bearer(key)).status_code == 401


def test_session_user_issues_lists_and_revokes_own_token_over_http(client):
    user = factories.applicant(real_name="王五").user
    client.force_login(user)

    issued = client.post(
        "/api/v1/accounts/tokens", {"name": "我的客户端"}, content_type="application/json"
    )
    assert issued.status_code == 201
    body = issued.json()
    key = body["key"]
    assert body["name"] == "我的客户端"
    assert body["prefix"] == key[:10]
    listed = client.get("/api/v1/accounts/tokens").json()
    assert [(t["id"], t["name"]) for t in listed] == [(body["id"], "我的客户端")]
    assert "key" not in listed[0]

    client.logout()
    assert client.get("/api/v1/accounts/me", **_bearer(key)).status_code == 200
    gone = client.delete(f"/api/v1/accounts/tokens/{body['id']}", **_bearer(key))
    assert gone.status_code == 204
    assert client.get("/api/v1/accounts/me", **_bearer(key)).status_code == 401


def test_a_token_cannot_mint_tokens(client):
    user = factories.applicant().user
    _token, key = services.api_token_issue(actor=user, user=user, name="c")

    response = client.post(
        "/api/v1/accounts/tokens", {"name": "x"}, content_type="application/json", **_bearer(key)
    )

    assert response.status_code == 401
    assert ApiToken.objects.count() == 1


def test_revoking_someone_elses_token_over_http_is_404(client):
    alice = factories.applicant().user
    bob = factories.applicant().user
    token, _key = services.api_token_issue(actor=alice, user=alice, name="a")
    _t, bob_key = services.api_token_issue(actor=bob, user=bob, name="b")

    response = client.delete(f"/api/v1/accounts/tokens/{token.pk}", **_bearer(bob_key))

    assert response.status_code == 404
    assert response.json()["message"] == "令牌不存在。"
    token.refresh_from_db()
    assert token.revoked_at is None


def test_openapi_documents_bearer_auth(client):
    schema = client.get("/api/openapi.json").json()

    assert "/api/v1/accounts/me" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_at_most_twenty_active_tokens():
    user = factories.applicant().user
    tokens = [services.api_token_issue(actor=user, user=user, name=f"t{i}")[0] for i in range(20)]

    with pytest.raises(ValidationFailed) as exc:
        services.api_token_issue(actor=user, user=user, name="one more")
    assert str(exc.value.message) == "有效令牌已达 20 个，请先吊销不用的令牌。"
    services.api_token_revoke(actor=user, token_id=tokens[0].pk)
    services.api_token_issue(actor=user, user=user, name="one more")
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 20
