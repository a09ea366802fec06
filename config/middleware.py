"""Every error under /api/ answers JSON, whoever produced it.

django-ninja answers its own refusals in JSON ({"detail": ...}: 400, 401, 403, 404, 409, 422), but
some answers come from elsewhere: Django's 404 for a path no operation matches, its 500 page for
an exception (ninja hands unexpected exceptions back to Django, which logs them with the
traceback as for any page), ninja's plain 405, a 400 for a body that is too big. A phone's sync
reads the body of every answer as JSON, so those are rewritten here into the same shape, with the
status kept and a message in the person's language."""

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
REPLACED = {"content-type", "content-length", "content-disposition", "content-encoding"}


def _message(status: int) -> str:
    messages = {
        400: _("请求无效"),
        401: _("请先登录"),
        403: _("没有权限"),
        404: _("未找到"),
        405: _("不支持该请求方法"),
        413: _("请求内容过大"),
        429: _("请求过于频繁，请稍后再试"),
    }
    if status in messages:
        return messages[status]
    return _("服务器内部错误，请稍后再试") if status >= 500 else _("请求无效")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path_info.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._as_json(response)
        return response

    @staticmethod
    def _as_json(response):
        body = json.dumps({"detail": _message(response.status_code)}, ensure_ascii=False)
        answer = HttpResponse(body, status=response.status_code, content_type="application/json; charset=utf-8")
        # Everything else the layers below set stays: Allow, Vary, Cache-Control, cookies.
        for header, value in response.items():
            if header.lower() not in REPLACED:
                answer[header] = value
        answer.cookies = response.cookies
        # close() sends request_finished, which closes the database connection before the request
        # is over (the test client's transaction too); only a streamed body holds a resource.
        if response.streaming:
            for closer in response._resource_closers:
                closer()
        return answer
