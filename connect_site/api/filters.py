"""Filters that reject a bad value instead of ignoring it."""

import django_filters


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """Accept exactly ``true`` or ``false``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("error_messages", {"invalid_choice": "Use true or false."})
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        return self.apply(qs, value == "true")

    def apply(self, qs, value):
        return qs.filter(**{self.field_name: value})


class StrictChoiceFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = ", ".join(str(value) for value, _label in kwargs["choices"])
        self.extra["error_messages"] = {"invalid_choice": f"Use one of: {choices}."}
