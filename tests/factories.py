"""Factories for tests. They build rows directly (that is their job); state changes in tests go
through the services, never through factories."""

import datetime as dt
import io

import factory
from django.utils import timezone
from PIL import Image

from bulletins.models import Bulletin
from campaigns.models import Campaign, Milestone
from organisation.models import Area, Membership, Unit, User
from sites.models import Site
from standard.models import Criterion, SiteType, Standard


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试人员{n}")
    password = factory.django.Password("pw-for-tests")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"A{n:04d}")
    name = factory.Sequence(lambda n: f"测试社区{n}")
    kind = Area.Kind.COMMUNITY


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Unit.Kind.DEPARTMENT


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.LIAISON


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard
        django_get_or_create = ["code"]

    code = "test-standard"
    name = "测试标准"


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    standard = factory.SubFactory(StandardFactory)
    level = Criterion.Level.CHECKPOINT
    code = factory.Sequence(lambda n: f"9.{n}")
    name = factory.Sequence(lambda n: f"检查要点{n}")
    weight = 1
    on_site = True


class SiteTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteType
        django_get_or_create = ["code"]

    code = "back_street"
    name = "背街小巷"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"测试巷{n}")
    site_type = factory.SubFactory(SiteTypeFactory)
    area = factory.SubFactory(AreaFactory)
    owner_unit = factory.SubFactory(UnitFactory)
    latitude = "34.757000"
    longitude = "113.665000"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "省级卫生城市届满复审"
    year = 2026
    standard = factory.SubFactory(StandardFactory)
    starts_on = dt.date(2026, 1, 1)
    ends_on = dt.date(2026, 12, 31)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    campaign = factory.SubFactory(CampaignFactory)
    name = "全面达标"
    due_on = dt.date(2026, 4, 30)


def jpeg_bytes(width: int = 32, height: int = 24, color=(200, 40, 40)) -> bytes:
    """A small real JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF, as a scanner would produce it."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PDF")
    return buffer.getvalue()


class PublishedBulletinFactory(factory.django.DjangoModelFactory):
    """A published bulletin, for the lists. bulletins.services.bulletin_publish is the real way, but
    it renders Word and PDF through LibreOffice (seconds each); this row has no files and an empty
    snapshot, so it is fit for lists only, not for its own page."""

    class Meta:
        model = Bulletin

    period_start = dt.date(2026, 4, 1)
    period_end = dt.date(2026, 4, 30)
    title = factory.Sequence(lambda n: f"督查通报{n}")
    status = Bulletin.Status.PUBLISHED
    year = 2026
    number = factory.Sequence(lambda n: 1000 + n)
    snapshot = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)
    published_at = factory.LazyFunction(timezone.now)
