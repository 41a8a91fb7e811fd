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
