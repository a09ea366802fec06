"""The worker's part of oversight: the digests (settings.SCHEDULE)."""

from django_tasks import task

from oversight import digests


@task()
def digest_daily() -> int:
    return digests.digest_daily()


@task()
def digest_weekly() -> int:
    return digests.digest_weekly()


@task()
def figures_recount(
    kind: str, campaign_id: int, user_id: int | None, unit_id: int | None = None, params: dict | None = None
) -> str:
    """Count figures kept by problems.selectors.kept again and keep them (they were stale and slow
    to count): the overview's ("overview", in the scope of the person whose page asked: all who
    see all share them), the units' shared ranking ("ranking"), a unit page's counts in one
    person's scope ("unit"), a trend with its parameters ("trends")."""
    from campaigns.models import Campaign
    from organisation.models import Unit, User
    from oversight import selectors
    from problems.selectors import count_and_keep

    campaign = Campaign.objects.get(pk=campaign_id) if campaign_id is not None else None
    user = User.objects.get(pk=user_id) if user_id is not None else None
    if kind == selectors.OVERVIEW:
        key, compute = (
            selectors.overview_key(campaign_id),
            lambda: selectors.problem_figures(user=user, campaign=campaign),
        )
    elif kind == selectors.TRENDS:
        key = selectors.trends_key(campaign_id, user, params)
        compute = lambda: selectors.trends_count(user=user, campaign=campaign, params=params)  # noqa: E731
    elif kind == selectors.RANKING:
        key, compute = selectors.ranking_key(campaign_id), lambda: selectors.ranking_count(campaign)
    else:
        unit = Unit.objects.get(pk=unit_id)
        key = selectors.unit_key(campaign_id, unit_id, user_id)
        compute = lambda: selectors.unit_counts(user=user, campaign=campaign, unit=unit)  # noqa: E731
    count_and_keep(key, compute)
    return kind
