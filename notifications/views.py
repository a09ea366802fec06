"""Notification screens: everyone's notification centre and preferences; the office's delivery
log, channels and rules. Thin: a form, access, a service, a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

import access
from core.errors import DomainError
from core.security import Kind, log_event
from notifications import rules, selectors, services
from notifications.forms import EndpointForm, LogFilterForm, PreferenceForm, RuleForm
from notifications.models import Endpoint, Message

PAGE_SIZE = 30


def _office(user) -> None:
    if not access.can_manage_notifications(user):
        raise PermissionDenied(gettext("只有爱卫办工作人员可以管理消息通知"))


@login_required
def inbox(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("message") if i.isdigit()] or None
        services.messages_mark_read(actor=request.user, ids=ids)
        return redirect("notifications:inbox")
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
def preferences(request):
    current = sorted(services.wanted_channels(request.user))
    form = PreferenceForm(request.POST or None, initial={"channels": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_set(actor=request.user, channels=form.cleaned_data["channels"])
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("通知方式已保存"))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
def delivery_log(request):
    _office(request.user)
    form = LogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.delivery_log(filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/log.html", {"form": form, "page": page, "querystring": query.urlencode()})


@login_required
@require_POST
def message_resend(request, message_id: int):
    _office(request.user)
    message = get_object_or_404(Message, pk=message_id)
    try:
        services.message_resend(actor=request.user, message=message)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("已重新排入发送队列"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("notifications:log")
    return redirect(back)


@login_required
def endpoints(request, endpoint_id: int | None = None):
    _office(request.user)
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id) if endpoint_id else None
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        # The change is recorded without the URL or the secret (they are keys).
        log_event(
            Kind.CHANGE,
            user=request.user,
            request=request,
            target=f"发送渠道 {saved.name}",
            summary=gettext("保存发送渠道「%(name)s」") % {"name": saved.name},
            details={"kind": saved.kind, "unit": saved.unit_id, "enabled": saved.enabled},
        )
        messages.success(request, gettext("发送渠道已保存"))
        return redirect("notifications:endpoints")
    return render(
        request,
        "notifications/endpoints.html",
        {
            "form": form,
            "endpoint": endpoint,
            "endpoints": Endpoint.objects.select_related("unit").order_by("kind", "unit__code", "name")[:500],
        },
    )


@login_required
@require_POST
def endpoint_test(request, endpoint_id: int):
    _office(request.user)
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    services.endpoint_test(actor=request.user, endpoint=endpoint)
    messages.success(request, gettext("测试消息已排入发送队列，请在发送记录中查看结果"))
    return redirect(reverse("notifications:log") + "?rule=test")


@login_required
def rule_settings(request):
    _office(request.user)
    if request.method == "POST":
        key = request.POST.get("rule", "")
        form = RuleForm(request.POST, prefix=key)
        if key in rules.DEFAULTS and form.is_valid():
            try:
                services.rule_set(actor=request.user, rule=key, **form.cleaned_data)
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, gettext("规则已保存"))
        else:
            messages.error(request, gettext("规则未保存：请检查天数（0 到 60）"))
        return redirect("notifications:rules")
    rows = [
        (
            rule,
            RuleForm(
                initial={
                    "enabled": rule.enabled,
                    "days": rule.days,
                    "channels": [c.value if hasattr(c, "value") else c for c in rule.channels],
                    "quiet_hours_apply": rule.quiet_hours_apply,
                },
                prefix=rule.key,
            ),
        )
        for rule in rules.all_effective()
        if rule.key != "test"
    ]
    return render(request, "notifications/rules.html", {"rows": rows})
