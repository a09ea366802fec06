"""The sign-in pages: the form, the second factor (prompt and enrolment), the password page, the
person's own 账号安全 page, sign-out, and the security administrator's lockout screen. The steps
and their order are accounts.signin's; these views bind forms and call it or the services."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import access
from accounts import lockout, passwords, second_factor, services, signin
from accounts.forms import CodeForm, SecondFactorResetForm, UnlockForm
from core.errors import DomainError
from core.forms import with_edge


def _next(request, default: str = "home") -> str:
    """Where to go once a step is done: the `next` the step was given, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _no_store(response):
    """Keys and recovery codes must not stay in a cache or the browser's history."""
    response["Cache-Control"] = "no-store"
    return response


class SignIn(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = with_edge(AuthenticationForm)

    def form_valid(self, form):
        signin.start(self.request, form.get_user(), form.cleaned_data["password"])
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        username = (form.data.get("username") or "").strip()
        remaining = lockout.remaining_attempts(self.request, username) if username else None
        return self.render_to_response(self.get_context_data(form=form, remaining=remaining), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(demo_mode=settings.DEMO_MODE, **kwargs)


class SignOut(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        signin.signing_out(request)
        return super().post(request, *args, **kwargs)


@never_cache
@login_required
def second_factor_verify(request):
    """The code at sign-in, or a recovery code (?recovery=1)."""
    user = request.user
    if signin.is_verified(user) or not second_factor.has_totp(user):
        return redirect(_next(request))
    recovery = (request.POST.get("recovery") or request.GET.get("recovery")) == "1"
    form = CodeForm(request.POST or None, recovery=recovery)
    status = 200
    if request.method == "POST":
        status = 400
        if lockout.account_locked(request, user.get_username()):
            signin.locked_out(request)
            return lockout.lockout_response(request)
        if form.is_valid():
            device, throttled_until = second_factor.check(user, form.cleaned_data["code"], recovery=recovery)
            if device is not None:
                signin.second_factor_passed(request, device, method="recovery_code" if recovery else "totp")
                if recovery:
                    left = second_factor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        _("已使用一个恢复码，还剩 %(count)d 个。可在「账号安全」中重新生成。") % {"count": left},
                    )
                return redirect(_next(request))
            if throttled_until is not None:
                form.add_error(None, _("错误次数较多，请稍候片刻再试。"))
            else:
                if lockout.second_factor_failed(request, user):
                    signin.locked_out(request)
                    return lockout.lockout_response(request)
                form.add_error("code", _("恢复码不正确或已经用过。") if recovery else _("动态口令不正确。"))
    context = {
        "form": form,
        "recovery": recovery,
        "next": _next(request),
        "next_query": urlencode({"next": _next(request)}),
        "issuer": settings.OTP_TOTP_ISSUER,
        "signing_in": True,
    }
    return render(request, "accounts/second_factor_verify.html", context, status=status)


@never_cache
@login_required
def second_factor_setup(request):
    """Enrol an authenticator: a QR code drawn here, the key in text, the first code to confirm;
    then the recovery codes, shown once."""
    user = request.user
    device = second_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = services.second_factor_enrol(request=request, device=device, code=form.cleaned_data["code"])
            except DomainError as error:
                form.add_error("code", error.message)
            else:
                context = {"codes": codes, "next": _next(request), "enrolled": True}
                return _no_store(render(request, "accounts/recovery_codes.html", context))
    context = {
        "form": form,
        "qr": second_factor.qr_svg(device),
        "secret": second_factor.secret(device),
        "required": second_factor.required(user),
        "replacing": second_factor.has_totp(user),
        "next": _next(request),
        "signing_in": signin.pending_step(request) is not None,
    }
    return _no_store(render(request, "accounts/second_factor_setup.html", context, status=status))


@login_required
@require_POST
def recovery_codes(request):
    try:
        codes = services.recovery_codes_renew(request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("account_security")
    return _no_store(
        render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("account_security")})
    )


@login_required
@require_POST
def second_factor_remove(request):
    try:
        services.second_factor_remove(request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已停用动态口令。"))
    return redirect("account_security")


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = with_edge(PasswordChangeForm)

    def form_valid(self, form):
        services.password_change(user=form.user, new_password=form.cleaned_data["new_password1"], request=self.request)
        messages.success(self.request, _("密码已修改。"))
        return HttpResponseRedirect(_next(self.request, "account_security"))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            reason=self.request.session.get(signin.PASSWORD_CHANGE),
            signing_in=signin.pending_step(self.request) is not None,
            max_age_days=settings.PASSWORD_MAX_AGE_DAYS,
            rules=password_validators_help_texts(),
            next=_next(self.request, "account_security"),
            **kwargs,
        )


@login_required
def account_security(request):
    """账号安全: the person's password and second factor."""
    user = request.user
    record = passwords.current_record(user)
    context = {
        "password_set_at": record.set_at if record else None,
        "password_expires_at": passwords.expires_at(record),
        "has_totp": second_factor.has_totp(user),
        "required": second_factor.required(user),
        "recovery_codes_left": second_factor.recovery_codes_left(user),
        "demo_mode": settings.DEMO_MODE,
    }
    return render(request, "accounts/account.html", context)


# ---- the security administrator ----------------------------------------------------------------


def _security_admin(request):
    if not access.can_manage_lockouts(request.user):
        raise PermissionDenied


@login_required
def lockouts(request):
    """锁定管理: what is locked now, unlock; reset a person's second factor."""
    _security_admin(request)
    context = {
        "locks": lockout.current_locks(),
        "reset_form": SecondFactorResetForm(),
        "minutes": lockout.lockout_minutes(),
        "account_limit": settings.LOGIN_FAILURE_LIMIT,
        "address_limit": settings.LOGIN_IP_FAILURE_LIMIT,
    }
    return render(request, "accounts/lockouts.html", context)


@login_required
@require_POST
def lockout_release(request):
    _security_admin(request)
    form = UnlockForm(request.POST)
    if form.is_valid():
        services.lockout_release(actor=request.user, request=request, **form.cleaned_data)
        messages.success(request, _("已解除锁定。"))
    else:
        # The form is the page's own buttons: a bad value is a tampered or broken request, said so.
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, _("未解除锁定：%(reason)s") % {"reason": error})
    return redirect("lockouts")


@login_required
@require_POST
def second_factor_reset(request):
    _security_admin(request)
    form = SecondFactorResetForm(request.POST)
    if form.is_valid():
        person = form.cleaned_data["username"]
        services.second_factor_reset(actor=request.user, user=person, request=request)
        messages.success(
            request, _("已重置 %(name)s 的双因素认证，其下次登录时需重新绑定。") % {"name": person.get_username()}
        )
    else:
        for error in form.errors.get("username", []):
            messages.error(request, error)
    return redirect("lockouts")


def admin_login(request):
    """/admin/login/ is the same sign-in as everywhere (lockout, second factor, password rules)."""
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("login") + (f"?{query}" if query else ""))


def admin_password_change(request):
    return redirect("password_change")
