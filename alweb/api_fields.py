"""Serializer fields the API needs beyond DRF's own."""

import math

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that must be finite: DRF's FloatField lets NaN through its min and max checks."""

    default_error_messages = {"not_finite": "A finite number is required (not NaN or Infinity)."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class StrictCharField(serializers.CharField):
    """A string that must be sent as one (DRF's CharField turns the number 0 into "0"), its length
    counted as sent: DRF counts it after trimming whitespace, the schema's maxLength before."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID sent as a string: DRF's UUIDField reads an integer (and false, as 0) as one."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
