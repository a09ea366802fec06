"""The edge (core/text.py) for the JSON API: types to declare every input field with.

`Text` for any string, `Date` and `DateTime` for dates in the campaign's range, `Latitude`,
`Longitude`, `AccuracyM` and `Id` for numbers, each with NaN and infinities refused. They work
in request bodies (Schema fields), query strings and forms (ninja's Query and Form) alike.
tests/test_edge.py walks every API operation's inputs and fails on a field declared without them.

A refusal becomes a 422 whose message is the edge's Chinese one (config.api's handler)."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from core import text


def _text(value):
    if isinstance(value, str):
        try:
            return text.text(value)
        except text.Refused as refused:
            # pydantic reports a ValueError's message as the error's `msg`.
            raise ValueError(refused.message) from None
    return value


def _date(value):
    try:
        return text.date(value)
    except text.Refused as refused:
        raise ValueError(refused.message) from None


Text = Annotated[str, BeforeValidator(_text)]
Date = Annotated[dt.date, AfterValidator(_date)]
DateTime = Annotated[dt.datetime, AfterValidator(_date)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
AccuracyM = Annotated[int, Field(ge=0, le=text.MAX_ACCURACY_M)]
# A row's id (a checkpoint): positive and within the database's integer.
Id = Annotated[int, Field(ge=1, le=text.MAX_INT)]

# What the walker accepts as declared through the edge.
EDGE_VALIDATORS = (_text, _date)
