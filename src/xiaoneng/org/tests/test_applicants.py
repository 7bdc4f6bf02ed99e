"""Applicants: registration with an SMS code and a checked identity, SMS log-in, pages, API."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from xiaoneng.audit.models import AuditEvent
from xiaoneng.core.errors import ValidationFailed
from xiaoneng.notify import backends
from xiaoneng.notify.models import VerificationCode
from xiaoneng.org import services
from xiaoneng.org.models import ApiToken, Applicant, User
from xiaoneng.org.tests import factories
from xiaoneng.org.views import APPLICANT_HOME_URL

pytestmark = pytest.mark.django_db

MOBILE = "13800138000"
RESIDENT_ID = "11010519491231002X"
ENTERPRISE_CODE = "91350100M000100Y43"


@pytest.fixture(autouse=True)
def _empty_outbox():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """``with commits(): client.post(...)`` runs the after-commit work (the SMS) as a real
    request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def send_code(django_capture_on_commit_callbacks):
    """Send a code as the service does (SMS after commit) and return what the SMS said."""

    def send(mobile: str = MOBILE, purpose: str = "register") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.applicant_code_send(mobile=mobile, purpose=purpose)
        match = re.search(r"验证码为 (\d{6})", backends.outbox[-1].text)
        assert match
        assert backends.outbox[-1].to == mobile
        return match.group(1)

    return send


def _sent_code() -> str:
    match = re.search(r"验证码为 (\d{6})", backends.outbox[-1].text)
    assert match
    return match.group(1)


def _register(code: str = "", **kwargs):
    data = {
        "mobile": MOBILE,
        "code": code,
        "real_name": "张三",
        "resident_id": RESIDENT_ID,
    }
    data.update(kwargs)
    return services.applicant_register(**data)


def _nothing_saved():
    assert Applicant.objects.count() == 0
    assert not User.objects.filter(mobile=MOBILE).exists()


# --------------------------------------------------------------------------- services


def test_register_a_person(send_code):
    code = send_code()

    applicant = _register(code, resident_id="11010519491231002x", mobile="+86 138-0013-8000")

    assert applicant.kind == "person"
    assert applicant.real_name == "张三"
    assert applicant.resident_id == RESIDENT_ID  # normalised: upper-case X
    assert applicant.mobile == MOBILE
    assert (applicant.enterprise_name, applicant.credit_code) == ("", "")
    assert applicant.resident_id_masked == "110105********002X"
    assert applicant.mobile_masked == "138****8000"
    user = applicant.user
    assert user.full_name == "张三"
    assert user.mobile == MOBILE
    assert not user.has_usable_password()
    assert MOBILE not in user.username
    event = AuditEvent.objects.get(action="org.applicant_registered")
    assert event.actor_id == user.pk
    assert event.payload == {"user_id": user.pk, "applicant_id": applicant.pk, "kind": "person"}
    assert RESIDENT_ID not in str(event.payload)
    assert MOBILE not in event.actor_label


def test_register_an_enterprise_agent(send_code):
    code = send_code()

    applicant = _register(
        code,
        kind="enterprise",
        enterprise_name="  示范科技  有限公司 ",
        credit_code="91350100m000100y43",
    )

    assert applicant.kind == "enterprise"
    assert applicant.enterprise_name == "示范科技 有限公司"
    assert applicant.credit_code == ENTERPRISE_CODE
    assert applicant.display_name == "示范科技 有限公司"


def test_person_registration_ignores_enterprise_fields(send_code):
    applicant = _register(send_code(), enterprise_name="某公司", credit_code="garbage")

    assert (applicant.enterprise_name, applicant.credit_code) == ("", "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "resident_id",
            "110105194912310021",
            "居民身份证号码无效：应为18位且出生日期、校验码正确。",
        ),
        ("resident_id", "", "居民身份证号码无效：应为18位且出生日期、校验码正确。"),
        ("real_name", "  ", "请填写姓名。"),
        ("real_name", "张\x00三", "姓名含有无效字符。"),
        ("kind", "robot", "申请人类型无效。"),
        ("code", "", "请填写短信验证码。"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(send_code, field, value, message):
    code = send_code()

    kwargs = {"code": value} if field == "code" else {"code": code, field: value}
    with pytest.raises(ValidationFailed) as exc:
        _register(**kwargs)

    assert [(e.field, str(e.message)) for e in exc.value.errors] == [(field, message)]
    _nothing_saved()
    assert VerificationCode.objects.get().used_at is None  # the code is still good


def test_bad_mobile_is_named():
    with pytest.raises(ValidationFailed) as exc:
        _register("123456", mobile="1380013800")

    assert [(e.field, str(e.message)) for e in exc.value.errors] == [
        ("mobile", "手机号码无效：应为11位中国大陆手机号。")
    ]
    _nothing_saved()


def test_enterprise_needs_a_valid_credit_code_and_a_name(send_code):
    code = send_code()

    with pytest.raises(ValidationFailed) as exc:
        _register(code, kind="enterprise", enterprise_name="", credit_code="91350100M000100Y44")

    assert str(exc.value.message) == "输入有误，共 2 处，请逐项修改。"
    assert [(e.field, str(e.message)) for e in exc.value.errors] == [
        ("enterprise_name", "请填写企业名称。"),
        (
            "credit_code",
            "统一社会信用代码“91350100M000100Y44”无效：应为18位且校验码正确。",
        ),
    ]
    _nothing_saved()


def test_a_wrong_code_counts_and_saves_nothing(send_code):
    code = send_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(ValidationFailed) as exc:
        _register(wrong)

    assert exc.value.field == "code"
    assert str(exc.value.message) == "验证码不正确，还可尝试 4 次。"
    _nothing_saved()
    assert VerificationCode.objects.get().attempts == 1
    _register(code)  # the right one still works


def test_a_code_registers_once(send_code):
    code = send_code()
    _register(code)

    with pytest.raises(ValidationFailed) as exc:
        _register(code, mobile="13900139000", resident_id=factories.resident_id())

    assert exc.value.field == "code"
    assert Applicant.objects.count() == 1


def test_duplicate_mobile_and_resident_id(send_code):
    first = factories.applicant(mobile_=MOBILE)
    staff = factories.staff(username="clerk")
    staff.user.mobile = "13700137000"
    staff.user.save()

    with pytest.raises(ValidationFailed) as exc:
        send_code()
    assert str(exc.value.message) == "该手机号码已注册，请直接使用短信验证码登录。"
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_code_send(mobile="13700137000", purpose="register")  # a staff phone
    assert exc.value.field == "mobile"

    code = send_code(mobile="13600136000")
    with pytest.raises(ValidationFailed) as exc:
        _register(code, mobile="13600136000", resident_id=first.resident_id)
    assert [(e.field, str(e.message)) for e in exc.value.errors] == [
        ("resident_id", "该身份证号码已注册。")
    ]
    assert Applicant.objects.count() == 1


def test_sms_login_returns_the_applicant_user(send_code):
    applicant = factories.applicant(mobile_=MOBILE)
    code = send_code(purpose="login")

    user = services.applicant_login_code_check(mobile=MOBILE, code=code)

    assert user == applicant.user
    event = AuditEvent.objects.get(action="org.applicant_logged_in")
    assert event.payload == {"user_id": user.pk, "method": "sms"}
    with pytest.raises(ValidationFailed):  # single use
        services.applicant_login_code_check(mobile=MOBILE, code=code)


def test_login_code_for_an_unregistered_number_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_code_send(mobile=MOBILE, purpose="login")

    assert exc.value.field == "mobile"
    assert str(exc.value.message) == "该手机号码尚未注册，请先注册。"
    assert VerificationCode.objects.count() == 0
    assert not backends.outbox


def test_a_register_code_does_not_log_in(send_code):
    factories.applicant(mobile_="13900000001")
    code = send_code(mobile="13900000001", purpose="login")
    factories.applicant(mobile_="13900000002")

    with pytest.raises(ValidationFailed):
        services.applicant_login_code_check(mobile="13900000002", code=code)


# --------------------------------------------------------------------------- pages


def test_register_page_flow(client, commits):
    page = client.get("/accounts/register/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>申请人注册</h1>" in html
    assert 'hx-post="/accounts/codes/"' in html

    with commits():
        sent = client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "register"})
    assert sent.status_code == 200
    assert "验证码已发送至 138****8000，5 分钟内有效。" in sent.content.decode()
    code = _sent_code()

    done = client.post(
        "/accounts/register/",
        {
            "mobile": MOBILE,
            "code": code,
            "kind": "person",
            "real_name": "张三",
            "resident_id": RESIDENT_ID,
        },
        follow=True,
    )

    assert done.redirect_chain == [(APPLICANT_HOME_URL, 302)]
    assert done.context["user"].applicant.real_name == "张三"
    assert "注册成功，欢迎您，张三！今后请使用手机号码和短信验证码登录。" in done.content.decode()


def test_send_code_without_javascript_rerenders_the_form(client, commits):
    with commits():
        response = client.post("/accounts/register/", {"mobile": MOBILE, "send_code": "1"})

    assert response.status_code == 200
    assert "验证码已发送至 138****8000，5 分钟内有效。" in response.content.decode()
    assert VerificationCode.objects.filter(mobile=MOBILE, purpose="register").count() == 1


def test_code_button_shows_the_wait_when_pressed_twice(client, commits):
    with commits():
        client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "register"})
    with commits():
        again = client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "register"})

    with commits():
        swapped = client.post(
            "/accounts/codes/", {"mobile": MOBILE, "purpose": "register"}, HTTP_HX_REQUEST="true"
        )

    assert again.status_code == 429
    assert re.search(r"验证码发送过于频繁，请 \d+ 秒后再试。", again.content.decode())
    assert swapped.status_code == 200  # htmx swaps only 2xx answers
    assert re.search(r"验证码发送过于频繁，请 \d+ 秒后再试。", swapped.content.decode())


def test_register_page_shows_field_errors_and_saves_nothing(client, commits):
    with commits():
        client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "register"})
    code = _sent_code()

    response = client.post(
        "/accounts/register/",
        {
            "mobile": MOBILE,
            "code": code,
            "kind": "enterprise",
            "real_name": "张三",
            "resident_id": "110105194912310021",
            "enterprise_name": "示范科技有限公司",
            "credit_code": "91350100M000100Y44",
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "resident_id": ["居民身份证号码无效：应为18位且出生日期、校验码正确。"],
        "credit_code": ["统一社会信用代码“91350100M000100Y44”无效：应为18位且校验码正确。"],
    }
    _nothing_saved()
    assert not response.context["user"].is_authenticated


def test_sms_login_page(client, commits):
    applicant = factories.applicant(mobile_=MOBILE, real_name="王五")
    assert client.get("/accounts/login/sms/").status_code == 200
    with commits():
        client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "login"})
    code = _sent_code()

    wrong = client.post(
        "/accounts/login/sms/", {"mobile": MOBILE, "code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    assert wrong.context["form"].errors == {"code": ["验证码不正确，还可尝试 4 次。"]}
    ok = client.post("/accounts/login/sms/", {"mobile": MOBILE, "code": code}, follow=True)

    assert ok.redirect_chain == [(APPLICANT_HOME_URL, 302)]
    assert ok.context["user"] == applicant.user
    assert "登录成功，欢迎您，王五！" in ok.content.decode()


def test_sms_login_honours_a_safe_next_only(client, commits):
    factories.applicant(mobile_=MOBILE)
    with commits():
        client.post("/accounts/codes/", {"mobile": MOBILE, "purpose": "login"})
    code = _sent_code()

    response = client.post(
        "/accounts/login/sms/", {"mobile": MOBILE, "code": code, "next": "https://evil.example/"}
    )

    assert response["Location"] == APPLICANT_HOME_URL


def test_staff_login_page_links_to_applicant_pages(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/login/sms/"' in html
    assert 'href="/accounts/register/"' in html


# --------------------------------------------------------------------------- API


def test_api_register_and_log_in(client, commits):
    with commits():
        sent = client.post(
            "/api/v1/accounts/codes",
            {"mobile": MOBILE, "purpose": "register"},
            content_type="application/json",
        )
    assert sent.status_code == 202
    assert sent.json() == {"mobile_masked": "138****8000", "expires_in": 300, "resend_after": 60}
    code = _sent_code()

    created = client.post(
        "/api/v1/accounts/applicants",
        {
            "mobile": MOBILE,
            "code": code,
            "real_name": "张三",
            "resident_id": RESIDENT_ID,
            "kind": "enterprise",
            "enterprise_name": "示范科技有限公司",
            "credit_code": ENTERPRISE_CODE,
        },
        content_type="application/json",
    )

    assert created.status_code == 201
    body = created.json()
    body.pop("created_at")
    assert body == {
        "kind": "enterprise",
        "kind_label": "法人或其他组织",
        "real_name": "张三",
        "resident_id_masked": "110105********002X",
        "mobile_masked": "138****8000",
        "enterprise_name": "示范科技有限公司",
        "credit_code": ENTERPRISE_CODE,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "resident_id",
            "110105194912310021",
            "居民身份证号码无效：应为18位且出生日期、校验码正确。",
        ),
        ("mobile", "12800138000", "手机号码无效：应为11位中国大陆手机号。"),
        (
            "credit_code",
            "91350100M000100Y44",
            "统一社会信用代码“91350100M000100Y44”无效：应为18位且校验码正确。",
        ),
    ],
)
def test_api_bad_identifiers_are_422_naming_the_field(client, field, value, message):
    data = {
        "mobile": MOBILE,
        "code": "123456",
        "real_name": "张三",
        "resident_id": RESIDENT_ID,
        "kind": "enterprise",
        "enterprise_name": "示范科技有限公司",
        "credit_code": ENTERPRISE_CODE,
        field: value,
    }

    response = client.post("/api/v1/accounts/applicants", data, content_type="application/json")

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert body["message"] == message
    assert body["errors"] == [{"field": field, "message": message, "code": body["code"]}]
    assert Applicant.objects.count() == 0
    assert User.objects.count() == 0


def test_api_code_rate_limit_is_429(client, commits):
    for _ in range(2):
        with commits():
            response = client.post(
                "/api/v1/accounts/codes",
                {"mobile": MOBILE, "purpose": "register"},
                content_type="application/json",
            )

    assert response.status_code == 429
    assert response.json()["field"] == "mobile"
    assert response.json()["code"] == "rate_limited"


def test_api_sms_code_for_a_token_then_me(client, commits):
    factories.applicant(mobile_=MOBILE, real_name="王五")
    with commits():
        client.post(
            "/api/v1/accounts/codes",
            {"mobile": MOBILE, "purpose": "login"},
            content_type="application/json",
        )

    issued = client.post(
        "/api/v1/accounts/tokens/sms",
        {"mobile": MOBILE, "code": _sent_code(), "name": "手机客户端"},
        content_type="application/json",
    )
    me = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {issued.json()['key']}")

    assert issued.status_code == 201
    assert issued.json()["name"] == "手机客户端"
    assert "sessionid" not in issued.cookies
    assert me.status_code == 200
    assert me.json()["full_name"] == "王五"
    assert me.json()["is_staff_member"] is False
    assert me.json()["applicant"]["mobile_masked"] == "138****8000"


def test_api_sms_token_with_a_wrong_code_issues_nothing(client, commits):
    factories.applicant(mobile_=MOBILE)
    with commits():
        client.post(
            "/api/v1/accounts/codes",
            {"mobile": MOBILE, "purpose": "login"},
            content_type="application/json",
        )
    wrong = f"{(int(_sent_code()) + 1) % 10**6:06d}"

    response = client.post(
        "/api/v1/accounts/tokens/sms",
        {"mobile": MOBILE, "code": wrong, "name": "x"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "code"
    assert response.json()["message"] == "验证码不正确，还可尝试 4 次。"
    assert not ApiToken.objects.exists()


def test_api_sms_token_checks_the_name_before_using_the_code(client, commits):
    factories.applicant(mobile_=MOBILE)
    with commits():
        client.post(
            "/api/v1/accounts/codes",
            {"mobile": MOBILE, "purpose": "login"},
            content_type="application/json",
        )
    code = _sent_code()

    bad = client.post(
        "/api/v1/accounts/tokens/sms",
        {"mobile": MOBILE, "code": code, "name": " "},
        content_type="application/json",
    )
    good = client.post(
        "/api/v1/accounts/tokens/sms",
        {"mobile": MOBILE, "code": code, "name": "客户端"},
        content_type="application/json",
    )

    assert (bad.status_code, bad.json()["field"]) == (422, "name")
    assert bad.json()["message"] == "请填写令牌名称。"
    assert good.status_code == 201


def test_pages_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with translation.override("zh-hans"):  # the request switches this thread to English
        register = client.get("/accounts/register/").content.decode()
        login = client.get("/accounts/login/sms/").content.decode()

    assert "<h1>Applicant registration</h1>" in register
    assert "Get code" in register
    assert "<h1>Log in with SMS code</h1>" in login
