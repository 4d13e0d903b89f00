from django.core.paginator import Paginator
from rest_framework import pagination


class FirstPageCountPaginator(Paginator):
    """Django's paginator, except that a first page holding every row is its own count: no `COUNT(*)` over
    the query (a search that finds one customer reads its matches once, not twice). Other pages count as
    Django's paginator does."""

    def page(self, number):
        """The page `number` (Django's Paginator.page; raises InvalidPage as it does)."""
        try:
            first = int(number) == 1
        except (TypeError, ValueError):
            first = False
        if not first or "count" in self.__dict__:
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return self._get_page(rows[: self.per_page], 1, self)


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}` with `?page=` and `?page_size=` (at most 500); `count` is exact, and
    costs no query of its own when the first page holds every row."""

    django_paginator_class = FirstPageCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 500
