"""Cursor pagination that refuses a page size it cannot read, instead of quietly using its default."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class StrictCursorPagination(CursorPagination):
    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: "A positive whole number is required."})
        return min(int(raw), self.max_page_size)
