"""The worker's part of oversight: the digests (settings.SCHEDULE)."""

from django_tasks import task

from oversight import digests


@task()
def digest_daily() -> int:
    return digests.digest_daily()


@task()
def digest_weekly() -> int:
    return digests.digest_weekly()
