"""Chinese by default, English through Django's translation files.

The source strings are the Chinese the screens show; locale/en/LC_MESSAGES/django.po holds their
English. The first visit is in Chinese whatever the browser asks for (Accept-Language is
ignored, issue 12); English only by the switch in the navigation (a cookie). Whatever they pick,
the domain's refusals and the dates follow."""

import ast
import datetime as dt
import gettext
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaigns.tests.helpers import ledger_task
from core import clock
from core.errors import InvalidInput
from problems import services

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # Chinese characters and punctuation
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _english(client, user=None):
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _chinese(client, user):
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _navigation(html: str, user) -> str:
    """The navigation's visible text, without the person's name and the language switch (which
    names each language in that language, on purpose)."""
    nav = re.search(r"<nav class=\"navbar.*?</nav>", html, re.S).group(0)
    nav = re.sub(r"<form class=\"cw-language.*?</form>", "", nav, flags=re.S)
    return _text(nav).replace(user.get_full_name(), "")


def _tagged(html: str, tag: str) -> list[str]:
    return [_text(m) for m in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S)]


def _record(world, description="幸福巷垃圾桶满溢"):
    return services.problem_record(
        actor=world.office,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description=description,
    )


def test_the_problem_list_is_in_english_for_an_english_reader(client, world):
    html = _english(client, world.office).get(reverse("problems:list")).content.decode()
    assert '<html lang="en">' in html
    assert "<title>Problem list · Hygienic City Supervision</title>" in html
    assert _text(re.search(r"<h1.*?</h1>", html, re.S).group(0)) == "Problem list 0 problems"
    nav = _navigation(html, world.office)
    assert nav.startswith("Hygienic City Supervision Overview Problems To verify Map ")
    assert " Ledger Five-in-place " in nav
    assert nav.endswith("Sign out")
    assert not HAN.search(nav)
    labels = _tagged(html, "label")
    assert labels[:3] == ["Search", "Awaiting assignment", "Being rectified"]  # the status toggles
    assert _tagged(html, "legend") == ["Status"]
    assert not [label for label in labels if HAN.search(label)]
    assert _tagged(html, "th") == ["Number", "Site", "Problem", "Responsible unit", "Rectification deadline", "Status"]
    assert "No problems match these filters" in html


def test_the_problem_list_is_in_chinese_by_default(client, world):
    html = _chinese(client, world.office).get(reverse("problems:list")).content.decode()
    assert '<html lang="zh-Hans">' in html
    assert _text(re.search(r"<h1.*?</h1>", html, re.S).group(0)) == "问题清单 共 0 条"
    nav = _navigation(html, world.office)
    assert nav.startswith("创卫督查 总览 问题清单 待复核 问题地图 ")
    assert " 工作台账 五到位 " in nav
    assert nav.endswith("退出")
    assert _tagged(html, "th") == ["编号", "点位", "问题", "责任单位", "整改期限", "状态"]


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client, world):
    # Issue 12: an English Windows put the office into English on its first visit.
    client.force_login(world.office)
    response = client.get(reverse("oversight:overview"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html and "问题总数" in html and "Problems in total" not in html
    assert response.headers["Content-Language"] == "zh-hans"
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-Hans">' in login
    # English by choice: the switch's cookie.
    client.post(reverse("set_language"), {"language": "en", "next": reverse("oversight:overview")})
    html = client.get(reverse("oversight:overview"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html
    assert not HAN.search(_navigation(html, world.office))
    assert [h for h in _tagged(html, "h2")] == [
        "Milestones",
        "By status",
        "By site type",
        "By sub-district",
        "Ranking of responsible units 1 January 2026 to 12 May 2026",
    ]
    # Today in the heading, milestone dates in English; the milestone names are data and stay.
    assert "12 May 2026" in html
    assert "by 15 March 2026" in html
    assert "动员部署" in html
    assert "Problems in total" in html and "Rework rate" in html


def test_a_cookie_naming_no_language_of_ours_falls_back_to_chinese(client, world):
    client.force_login(world.office)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="zh-Hans">' in client.get(reverse("oversight:overview")).content.decode()


def test_a_chinese_browser_gets_chinese(client, world):
    client.force_login(world.office)
    html = client.get(reverse("oversight:overview"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "2026年5月12日" in html
    assert "2026年3月15日前" in html
    assert "问题总数" in html


def test_a_problem_and_its_action_forms_are_in_english(client, world):
    problem = _record(world)
    html = _english(client, world.office).get(reverse("problems:detail", args=[problem.uuid])).content.decode()
    assert _text(re.search(r"<h1.*?</h1>", html, re.S).group(0)) == f"Problem {problem.number}"
    assert "Awaiting assignment" in html
    assert "幸福巷垃圾桶满溢" in html  # what the inspector wrote stays as written
    assert _tagged(html, "dt") == [
        "Site",
        "Standard item",
        "Description",
        "Severity / source",
        "Recorded",
        "Responsible unit",
        "Rectification deadline",
    ]
    assert "Not assigned" in html
    assert "12 May 2026" in html  # recorded today
    assert _tagged(html, "h2") == ["History", "Assign", "Cancel problem", "Merge as duplicate"]
    labels = _tagged(html, "label")
    assert labels == [
        "Responsible unit",
        "Rectification deadline",
        "Instructions",
        "Reason",
        "Photos",
        "Merge into problem (number)",
        "Reason for merging",
    ]
    buttons = _tagged(html, "button")
    assert "Assign" in buttons and "Cancel problem" in buttons
    assert not HAN.search(_navigation(html, world.office))


def test_a_refused_action_on_the_page_is_explained_in_english(client, world):
    problem = _record(world)
    response = _english(client, world.office).post(
        reverse("problems:act", args=[problem.uuid, "assign"]),
        {"version": problem.version, "unit": world.unit_a.pk, "deadline": "2026-05-01", "note": ""},
    )
    assert response.status_code == 400  # a bad input, not a conflict
    assert "The rectification deadline 1 May 2026 has passed; it cannot be earlier than today" in (
        response.content.decode()
    )


def test_a_done_action_is_confirmed_in_english(client, world):
    problem = _record(world)
    response = _english(client, world.office).post(
        reverse("problems:act", args=[problem.uuid, "assign"]),
        {"version": problem.version, "unit": world.unit_a.pk, "deadline": "2026-05-20", "note": ""},
        follow=True,
    )
    html = response.content.decode()
    assert f"Problem {problem.number} assigned" in html
    assert "Responsible unit: 东城街道, deadline 20 May 2026" in html


def test_the_ledger_is_in_english(client, world):

    ledger_task(world)
    html = _english(client, world.office).get(reverse("campaigns:ledger")).content.decode()
    assert "Ledger" in _tagged(html, "h1")[0]
    assert "1 task" in _tagged(html, "h1")[0]
    assert _tagged(html, "th") == [
        "Task",
        "Responsible unit / person",
        "Target",
        "Done",
        "Deadline",
        "Milestone",
        "Progress",
    ]
    assert "20 June 2026" in html
    assert "Not started" in html
    assert _tagged(html, "label") == ["Responsible unit", "Criterion", "Milestone", "Progress"]
    assert "New task" in html
    assert not HAN.search(_navigation(html, world.office))


def test_the_login_page_is_in_english_and_offers_the_switch(client, db):
    html = _english(client).get(reverse("login")).content.decode()
    assert '<h1 class="h4 mb-4 text-center">Hygienic City Supervision · Sign in</h1>' in html
    assert _tagged(html, "label") == ["Username", "Password"]
    assert _tagged(html, "button") == ["中文", "English", "Sign in"]
    assert f'action="{reverse("set_language")}"' in html
    assert 'aria-labelledby="language-label"' in html
    assert 'lang="en" aria-current="true">English</button>' in html


def test_the_switch_sets_the_language_and_returns_to_the_page(client, world):
    client.force_login(world.liaison_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("problems:mine")})
    assert response.status_code == 302
    assert response.url == reverse("problems:mine")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("problems:mine")).content.decode()
    assert _tagged(html, "h1") == ["My unit's to-do"]
    assert "Your unit has no problems to rectify." in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("problems:mine")})
    assert _tagged(client.get(reverse("problems:mine")).content.decode(), "h1") == ["本单位待办"]


def test_a_domain_refusal_speaks_the_active_language(world):
    problem = _record(world)
    with translation.override("en"), pytest.raises(InvalidInput) as refusal:
        services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=dt.date(2026, 5, 1))
    assert refusal.value.message == "The rectification deadline 1 May 2026 has passed; it cannot be earlier than today"
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refusal:
        services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=dt.date(2026, 5, 1))
    assert refusal.value.message == "整改期限 2026年5月1日 已过，不能早于今天"


def test_dates_follow_the_language():
    day = dt.date(2026, 3, 15)
    moment = dt.datetime(2026, 3, 15, 6, 5, tzinfo=dt.UTC)  # 14:05 in Shanghai
    with translation.override("zh-hans"):
        assert clock.cn_date(day) == "2026年3月15日"
        assert clock.cn_date(moment) == "2026年3月15日"
        assert clock.cn_datetime(moment) == "2026年3月15日 14:05"
        assert clock.cn_datetime(moment, with_year=False) == "3月15日 14:05"
    with translation.override("en"):
        assert clock.cn_date(day) == "15 March 2026"
        assert clock.cn_datetime(moment) == "15 March 2026, 14:05"
        assert clock.cn_datetime(moment, with_year=False) == "15 March, 14:05"
    with translation.override(None):  # a management command with translations off: Chinese
        assert clock.cn_date(day) == "2026年3月15日"
    assert clock.zh_date(day) == "2026年3月15日"
    assert clock.cn_date(None) == ""


def _po_entries(text: str) -> list[dict]:
    """The .po's entries: flags, context, msgid, plural and msgstrs (enough for xgettext output)."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry = {"flags": "", "msgctxt": None, "msgid_plural": None, "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["_parts"][key].append(ast.literal_eval(line))
            else:
                key, value = line.split(" ", 1)
                entry.setdefault("_parts", {})[key] = [ast.literal_eval(value)]
        for key, parts in entry.pop("_parts", {}).items():
            value = "".join(parts)
            if key.startswith("msgstr"):
                entry["msgstr"][key] = value
            else:
                entry[key] = value
        if "msgid" in entry:  # blocks of obsolete (#~) entries have none
            entries.append(entry)
    return entries


def test_every_string_has_an_english_translation():
    header, *entries = _po_entries(PO.read_text(encoding="utf-8"))
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]["msgstr"]
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    # The English is English: no Chinese left in a translation, except 是/否, the values an import
    # file's yes/no column holds, which the English names so that the reader knows what to type.
    leftovers = {c for e in entries for s in e["msgstr"].values() for c in HAN.findall(s)}
    assert leftovers <= {"是", "否"}


def test_the_compiled_catalogue_matches_the_po():
    """The .mo is committed (a machine without gettext still runs in English): it must hold
    exactly what the .po says. `make messages` rebuilds both."""
    _, *entries = _po_entries(PO.read_text(encoding="utf-8"))
    expected = {}
    for e in entries:
        msgid = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"] is None:
            expected[msgid] = e["msgstr"]["msgstr"]
        else:
            for key, value in e["msgstr"].items():
                expected[(msgid, int(key[len("msgstr[") : -1]))] = value
    with MO.open("rb") as compiled:
        catalog = dict(gettext.GNUTranslations(compiled)._catalog)
    catalog.pop("", None)
    assert catalog == expected
