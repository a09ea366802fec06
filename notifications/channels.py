"""The adapters: one function per channel, each sending one message or raising DeliveryFailed
with a Chinese reason. They are given the message and its endpoint and know nothing else.

Every request has a timeout: a hung gateway must not hold a worker. Robots' and gateways'
answers are read: WeCom and DingTalk answer HTTP 200 with {"errcode": N} on refusal."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from notifications.models import Channel, Message

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    pass


def _post(url: str, *, body: bytes, content_type: str, msgid: str) -> bytes:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "X-Chuangwei-Message-Id": msgid},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"对方返回 HTTP {error.code}") from None
    except TimeoutError:
        raise DeliveryFailed(f"{TIMEOUT_SECONDS} 秒内无应答") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"无法连接：{reason}") from None


def _robot_answer(raw: bytes) -> None:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryFailed("机器人返回的不是 JSON") from None
    if answer.get("errcode", 0) != 0:
        raise DeliveryFailed(f"机器人拒收：{answer.get('errcode')} {answer.get('errmsg', '')}".strip())


def robot_text(message: Message) -> str:
    text = f"{message.subject}\n{message.body}"
    if message.link:
        text += f"\n{absolute(message.link)}"
    return text


def absolute(link: str) -> str:
    return settings.SITE_URL.rstrip("/") + link if link.startswith("/") else link


def send_wecom(message: Message) -> None:
    payload = {
        "msgtype": "text",
        "text": {"content": robot_text(message), "mentioned_mobile_list": list(message.mentions)},
    }
    raw = _post(
        message.endpoint.url,
        body=json.dumps(payload, ensure_ascii=False).encode(),
        content_type="application/json",
        msgid=message.key,
    )
    _robot_answer(raw)


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret, base64, then
    URL-encoded, added as &timestamp=…&sign=…"""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def send_dingtalk(message: Message) -> None:
    endpoint = message.endpoint
    url = endpoint.url
    if endpoint.secret:
        url = dingtalk_signed_url(url, endpoint.secret, int(time.time() * 1000))
    payload = {
        "msgtype": "text",
        "text": {"content": robot_text(message)},
        "at": {"atMobiles": list(message.mentions), "isAtAll": False},
    }
    raw = _post(
        url, body=json.dumps(payload, ensure_ascii=False).encode(), content_type="application/json", msgid=message.key
    )
    _robot_answer(raw)


def sms_text(message: Message, limit: int) -> str:
    """The text of an SMS within `limit` characters: the signature, the subject and the link
    whole, then as much of the body as fits (the link opens the rest)."""
    tail = f" {absolute(message.link)}" if message.link else ""
    head = f"【{settings.SMS_SIGNATURE}】{message.subject}"
    room = limit - len(head) - len(tail)
    if room < 0:
        return (head + tail)[: max(limit - 1, 0)] + "…"
    body = f"：{message.body}"
    if len(body) > room:
        body = body[: max(room - 1, 0)] + "…" if room > 1 else ""
    return head + body + tail


def send_sms(message: Message) -> None:
    endpoint = message.endpoint
    if not message.address:
        raise DeliveryFailed("接收人没有手机号")
    values = {"mobile": message.address, "text": sms_text(message, endpoint.max_length), "msgid": message.key}
    params = endpoint.parameters or {"mobile": "{mobile}", "content": "{text}", "msgid": "{msgid}"}
    form = {name: str(template).format_map(values) for name, template in params.items()}
    raw = _post(
        endpoint.url,
        body=urllib.parse.urlencode(form).encode(),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        msgid=message.key,
    )
    # Gateways answer in many shapes; a JSON answer with a non-zero code is a refusal.
    try:
        answer = json.loads(raw)
    except ValueError:
        return
    if isinstance(answer, dict):
        code = answer.get("code", answer.get("errcode", 0))
        if code not in (0, "0", "OK", "ok", 200, None):
            raise DeliveryFailed(f"短信网关拒收：{code} {answer.get('msg', answer.get('message', ''))}".strip())


def send_email(message: Message) -> None:
    if not message.address:
        raise DeliveryFailed("接收人没有电子邮箱")
    body = message.body + (f"\n\n{absolute(message.link)}" if message.link else "")
    email = EmailMessage(
        subject=f"[{settings.SMS_SIGNATURE}] {message.subject}",
        body=body,
        to=[message.address],
        headers={"Message-ID": f"<{message.key.replace(':', '.')}@chuangwei>"},
    )
    try:
        email.send(fail_silently=False)
    except (OSError, ValueError) as error:
        raise DeliveryFailed(f"邮件发送失败：{error}") from None


SENDERS = {
    Channel.WECOM: send_wecom,
    Channel.DINGTALK: send_dingtalk,
    Channel.SMS: send_sms,
    Channel.EMAIL: send_email,
}
