"""Bulletin and accountability screens. Thin: bind a form, ask access, call a service."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_GET, require_POST

import access
from bulletins import content as bulletin_content
from bulletins import services
from bulletins.forms import (
    AccountabilityForm,
    AccountabilityFromBulletinForm,
    BulletinCreateForm,
    BulletinEditForm,
)
from bulletins.models import Bulletin, BulletinCounter
from bulletins.render import render_docx
from campaigns.selectors import current_campaign_or_404
from core import clock
from core.errors import DomainError
from core.forms import with_seen_version
from core.pagination import page_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Bulletins and accountability records grow with the campaign's life: a page at a time.
PAGE_SIZE = 30


@login_required
def bulletin_list(request):
    bulletins = access.bulletins_visible_to(request.user).select_related("campaign").order_by("-created_at", "-id")
    page = page_of(request, bulletins, PAGE_SIZE)
    return render(
        request,
        "bulletins/list.html",
        {
            "bulletins": page.object_list,
            "page": page,
            "can_manage": access.can_manage_campaign(request.user),
            "form": BulletinCreateForm(),
        },
    )


@login_required
@require_POST
def bulletin_create(request):
    if not access.can_manage_campaign(request.user):
        raise PermissionDenied
    form = BulletinCreateForm(request.POST)
    campaign = current_campaign_or_404()
    if form.is_valid():
        try:
            bulletin = services.bulletin_create(actor=request.user, campaign=campaign, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
    page = page_of(request, access.bulletins_visible_to(request.user).order_by("-created_at", "-id"), PAGE_SIZE)
    return render(
        request,
        "bulletins/list.html",
        {"bulletins": page.object_list, "page": page, "can_manage": True, "form": form},
        status=400,
    )


def _bulletins(user):
    return access.bulletins_visible_to(user).select_related("campaign")


def _get_bulletin(user, bulletin_uuid):
    return access.get_visible_or_404(_bulletins(user), uuid=bulletin_uuid)


@login_required
def bulletin_detail(request, bulletin_uuid):
    bulletin = _get_bulletin(request.user, bulletin_uuid)
    is_draft = bulletin.status == Bulletin.Status.DRAFT
    can_edit = is_draft and access.can_manage_campaign(request.user)
    form = None
    if can_edit:
        form = BulletinEditForm(
            request.POST or None,
            initial={k: getattr(bulletin, k) for k in BulletinEditForm.base_fields},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.bulletin_edit(
                    actor=request.user, bulletin=with_seen_version(bulletin, request.POST), **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, gettext("草稿已保存"))
                return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "bulletins/detail.html",
        {
            "content": services.bulletin_content_now(bulletin),
            "form": form,
            "can_edit": can_edit,
            # The number publishing would take now, named on the button and sent back with it.
            "next_year": clock.today().year,
            "next_number": BulletinCounter.peek_next(clock.today().year) if can_edit else None,
            # Told to the office on the draft's page only, never in the document.
            "secret_left_out": bulletin_content.secret_left_out(bulletin) if can_edit else 0,
            "accountability_form": AccountabilityFromBulletinForm(initial={"decided_on": clock.today()})
            if can_edit
            else None,
            **_files_context(request, bulletin),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def bulletin_accountability(request, bulletin_uuid):
    """The criticised units of a draft turned into accountability records, after the confirm form."""
    bulletin = access.get_for_action_or_403(
        request.user, _bulletins(request.user), access.can_manage_campaign, uuid=bulletin_uuid
    )
    form = AccountabilityFromBulletinForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
    try:
        records = services.accountability_from_bulletin(
            actor=request.user,
            bulletin=bulletin,
            measure=form.cleaned_data["measure"],
            decided_on=form.cleaned_data["decided_on"],
            submit_key=form.cleaned_data["submit_key"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
    messages.success(request, gettext("已记录问责 %(count)s 条") % {"count": len(records)})
    return redirect("bulletins:accountability")


@login_required
@require_POST
def bulletin_publish(request, bulletin_uuid):
    bulletin = access.get_for_action_or_403(
        request.user, _bulletins(request.user), access.can_manage_campaign, uuid=bulletin_uuid
    )
    # Publishing takes a number for good: the page asks for a tick beside the number it names.
    if request.POST.get("confirm") != "on":
        messages.error(request, gettext("请勾选确认期号后再印发"))
        return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
    expected = request.POST.get("number", "")
    try:
        bulletin = services.bulletin_publish(
            actor=request.user,
            bulletin=with_seen_version(bulletin, request.POST),
            expected_number=int(expected) if expected.isdigit() and len(expected) < 6 else None,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, pgettext("done", "通报%(issue)s已印发") % {"issue": bulletin.issue_label})
    return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)


@login_required
def bulletin_file(request, bulletin_uuid, kind):
    """The Word or PDF file: the frozen one once published (back to the page, which shows the
    progress, while the worker still makes it); a draft's Word file is made live."""
    if kind not in ("docx", "pdf"):
        raise Http404  # before anything is looked up: /file.exe is no file of a bulletin
    bulletin = _get_bulletin(request.user, bulletin_uuid)
    name = download_name(bulletin, kind)
    if bulletin.status == Bulletin.Status.PUBLISHED:
        attachment = bulletin.docx if kind == "docx" else bulletin.pdf
        if attachment is None:
            messages.info(request, gettext("通报的 Word 和 PDF 文件尚未生成，请稍候"))
            return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)
        return FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=name, content_type=attachment.content_type
        )
    if kind != "docx":
        raise PermissionDenied(gettext("草稿只能预览 Word 文件，印发后生成 PDF"))
    response = HttpResponse(render_docx(services.bulletin_content_now(bulletin)), content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


def download_name(bulletin: Bulletin, kind: str) -> str:
    """「〔2026〕第1期 标题.pdf」 once numbered (the number is how the office files it), the title
    alone for a draft; never a character a file system refuses."""
    title = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", bulletin.title).strip()[:120]
    return f"{bulletin.issue_label} {title}.{kind}" if bulletin.number else f"{title}.{kind}"


def _files_context(request, bulletin: Bulletin) -> dict:
    state = bulletin.render_state
    return {
        "bulletin": bulletin,
        "under_way": state in (Bulletin.RenderState.PENDING, Bulletin.RenderState.RENDERING)
        and not bulletin.render_interrupted(clock.now()),
        "may_start_again": access.can_manage_campaign(request.user) and bulletin.render_may_start_again(clock.now()),
    }


@login_required
@require_GET
def bulletin_files(request, bulletin_uuid):
    """The published bulletin's file box alone: static/js/poll.js fetches it while the worker
    makes the files."""
    bulletin = _get_bulletin(request.user, bulletin_uuid)
    if bulletin.status != Bulletin.Status.PUBLISHED:
        raise Http404
    return render(request, "bulletins/_files.html", _files_context(request, bulletin))


@login_required
@require_POST
def bulletin_render_again(request, bulletin_uuid):
    bulletin = access.get_for_action_or_403(
        request.user, _bulletins(request.user), access.can_manage_campaign, uuid=bulletin_uuid
    )
    try:
        services.bulletin_render_again(actor=request.user, bulletin=with_seen_version(bulletin, request.POST))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("已重新开始生成 Word 和 PDF 文件"))
    return redirect("bulletins:detail", bulletin_uuid=bulletin.uuid)


@login_required
def accountability_list(request):
    records = access.accountabilities_visible_to(request.user).select_related("unit", "person")
    can_manage = access.can_manage_campaign(request.user)
    form = AccountabilityForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            numbers = form.cleaned_data["problem_numbers"]
            query = Q(pk__in=[])
            for year, sequence in numbers:
                query |= Q(year=year, sequence=sequence)
            problems = list(access.problems_visible_to(request.user).filter(query)) if numbers else []
            if len(problems) != len(numbers):
                form.add_error("problem_numbers", gettext("有问题编号不存在"))
            else:
                try:
                    services.accountability_record(
                        actor=request.user,
                        campaign=current_campaign_or_404(),
                        unit=form.cleaned_data["unit"],
                        person=form.cleaned_data["person"],
                        measure=form.cleaned_data["measure"],
                        reason=form.cleaned_data["reason"],
                        decided_on=form.cleaned_data["decided_on"],
                        problems=problems,
                        submit_key=form.cleaned_data["submit_key"],
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, gettext("问责记录已保存"))
                    return redirect("bulletins:accountability")
    page = page_of(request, records, PAGE_SIZE)
    return render(
        request,
        "bulletins/accountability.html",
        {"records": page.object_list, "page": page, "form": form},
        status=400 if form is not None and form.errors else 200,
    )
