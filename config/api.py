"""The JSON API: one NinjaAPI for the whole site, mounted at /api/ (config/urls.py).

Version 1 lives under /api/v1/ and its OpenAPI 3 schema at /api/schema/. No interactive docs
page: it would load Swagger UI from a CDN, and the intranet has none. Authentication is either
the browser's session (with its CSRF token, as the phone's offline layer sends it) or a personal
token, `Authorization: Bearer <key>` (README, "API"). Domain refusals become JSON errors with the
service's Chinese message: 400 bad input, 403 not allowed, 409 conflict, 503 storage failed."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from accounts.lockout import LockedOut
from accounts.services import token_user
from core.errors import DomainError, IllegalTransition, NotAllowed, StaleObject, StorageFailed
from core.once import KeyTaken
from inspections.api import router as inspections_router


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        # A locked address or key is refused (429) and a bad key counted: accounts.lockout.
        user = token_user(token, request=request)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="创卫督查 API",
    version="1",
    description="督导检查手机端接口。认证：会话（需 CSRF 令牌）或个人令牌 `Authorization: Bearer <key>`。",
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,
    auth=[TokenAuth(), SessionAuth()],
)
api.add_router("/v1/", inspections_router)

# A file the server could not write is its own fault: 503, so that the phone keeps it and retries.
STATUS = {
    NotAllowed: 403,
    KeyTaken: 409,  # inspections.services.ClientIdConflict: a phone's id names another record
    IllegalTransition: 409,
    StaleObject: 409,
    LockedOut: 429,
    StorageFailed: 503,
}


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError):
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    body = {"detail": error.message, "code": error.code} if error.code else {"detail": error.message}
    return api.create_response(request, body, status=status)


# Refusals that do not come from our services, in the person's language too (core/text.py, the
# edge): ninja's own 401, 403 (CSRF), 404 and 422 would otherwise answer in English.
@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404):
    return api.create_response(request, {"detail": _("未找到")}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError):
    if isinstance(error, AuthenticationError):
        detail = _("请先登录")
    elif error.status_code == 403 and "CSRF" in str(error):
        # The phone's offline layer recognises an expired session by "CSRF" in the detail.
        detail = _("CSRF 校验失败：页面已过期，请刷新后重试")
    else:
        detail = _("请求无效")
    return api.create_response(request, {"detail": detail}, status=error.status_code)


# pydantic's error types, said for a person; the edge's own refusals carry their message.
PROBLEMS = {
    "missing": gettext_lazy("缺少必填项"),
    "json_invalid": gettext_lazy("不是有效的 JSON"),
    "finite_number": gettext_lazy("须为有限的数字"),
    "greater_than_equal": gettext_lazy("超出允许范围"),
    "less_than_equal": gettext_lazy("超出允许范围"),
    "greater_than": gettext_lazy("超出允许范围"),
    "less_than": gettext_lazy("超出允许范围"),
    "too_long": gettext_lazy("项目过多"),
    "literal_error": gettext_lazy("不是允许的取值"),
    "uuid_parsing": gettext_lazy("不是有效的编号"),
    "uuid_type": gettext_lazy("不是有效的编号"),
    "int_parsing_size": gettext_lazy("超出允许范围"),
    "int_parsing": gettext_lazy("须为整数"),
    "int_from_float": gettext_lazy("须为整数"),
    "int_type": gettext_lazy("须为整数"),
    "float_parsing": gettext_lazy("须为数字"),
    "float_type": gettext_lazy("须为数字"),
    "string_type": gettext_lazy("须为文字"),
    "bool_parsing": gettext_lazy("须为是或否"),
    "bool_type": gettext_lazy("须为是或否"),
    "date_parsing": gettext_lazy("不是有效的日期"),
    "date_from_datetime_parsing": gettext_lazy("不是有效的日期"),
    "datetime_parsing": gettext_lazy("不是有效的时间"),
    "datetime_from_date_parsing": gettext_lazy("不是有效的时间"),
    "datetime_type": gettext_lazy("不是有效的时间"),
    "list_type": gettext_lazy("须为列表"),
    "model_type": gettext_lazy("须为对象"),
    "model_attributes_type": gettext_lazy("须为对象"),
    "dict_type": gettext_lazy("须为对象"),
}


def _problem(error: dict) -> str:
    if error.get("type") == "value_error":
        # the edge's Chinese message (core.schema), after pydantic's "Value error, " prefix
        return str(error.get("ctx", {}).get("error") or error.get("msg", ""))
    known = PROBLEMS.get(error.get("type", ""))
    return str(known) if known else _("格式无效")


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, error: ValidationError):
    """422 with a sentence in `detail` (what the phone shows) and pydantic's list in `errors`
    (where, and the machine-readable type) for a generated client."""
    sentences = []
    for item in error.errors[:5]:
        loc = list(item.get("loc", ()))
        # ("body", "payload", "latitude") -> latitude; ("form", "latitude") -> latitude
        loc = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:]
        where = ".".join(str(part) for part in loc) or _("请求")
        sentences.append(f"{where}：{_problem(item)}")
    detail = _("提交的内容无效：%(problems)s") % {"problems": "；".join(sentences)}
    errors = [{"loc": e.get("loc"), "type": e.get("type"), "msg": _problem(e)} for e in error.errors]
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)
