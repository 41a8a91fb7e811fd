"""Path converters for ids: a number beyond the 64-bit range the database stores matches no route (404)."""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    """A non-negative integer that fits a 64-bit database id; larger ones do not match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond a 64-bit id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
