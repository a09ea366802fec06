"""The JSON API: one NinjaAPI for the whole site, mounted at /api/ (config/urls.py).

Version 1 lives under /api/v1/ and its OpenAPI 3 schema at /api/schema/. No interactive docs
page: it would load Swagger UI from a CDN, and the intranet has none. Authentication is either
the browser's session (with its CSRF token, as the phone's offline layer sends it) or a personal
token, `Authorization: Bearer <key>` (README, "API"). Domain refusals become JSON errors with the
service's Chinese message: 400 bad input, 403 not allowed, 409 conflict, 503 storage failed."""

from django.http import HttpRequest
from ninja import NinjaAPI
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
    return api.create_response(request, {"detail": error.message}, status=status)
