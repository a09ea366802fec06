"""Pages of a long list read ids first.

A deep page (`?page=2000` of a million problems) with OFFSET over the list's query makes the
database build every skipped row with its joins (site, unit, criterion...) only to throw it away.
IdsFirstPaginator skips over the ids alone, in the list's order (from an index when there is one),
then reads the page's thirty rows with their joins by id: the same rows in the same order."""

from django.core.paginator import Paginator


class IdsFirstPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = []
        if ids:
            # The list's own query, so its select_related and annotations stay; its filters hold
            # for these ids anyway, and reading thirty rows by primary key is cheap.
            by_pk = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
            rows = [by_pk[pk] for pk in ids if pk in by_pk]
        return self._get_page(rows, number, self)


def page_of(request, object_list, per_page: int, *, paginator=Paginator):
    """The page `?page=` asks for (the last one if past the end, the first if not a number): every
    list that grows with the campaign's life is shown a page at a time (issue 14)."""
    return paginator(object_list, per_page).get_page(request.GET.get("page"))
