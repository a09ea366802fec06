"""The map of surfaces is complete: a new form, URL pattern with a parameter, API write or import
kind that is not in tests/hostile/surfaces.py fails here (add it there, with its fields)."""

import importlib
import pkgutil

from django import forms
from django.apps import apps
from django.urls import URLResolver, get_resolver

from config.api import api
from exchange.imports import KINDS
from tests.hostile.surfaces import API_WRITES, FILTERS, FORMS, IMPORT_KINDS, NOT_SURFACES, path_objects

OURS = {app.name for app in apps.get_app_configs() if not app.name.startswith(("django", "axes", "django_otp"))}
OURS = {name for name in OURS if "." not in name} | {"access", "documents"}


def _our_form_classes():
    """Every Form class defined in our code (forms.py, admin.py, views.py and their packages)."""
    for app in sorted(OURS):
        for module in ("forms", "admin", "views"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError:
                continue
        package = importlib.import_module(app)
        if hasattr(package, "__path__"):
            for info in pkgutil.walk_packages(package.__path__, f"{app}."):
                if ".tests" in info.name or ".migrations" in info.name or info.name.endswith(".management"):
                    continue
                if any(part in info.name for part in ("forms", "admin", "views")):
                    importlib.import_module(info.name)
    seen, stack = set(), [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in OURS and ".tests" not in sub.__module__:
                seen.add(sub)
    return seen


def test_every_form_is_in_the_map():
    mapped = {s.form for s in FORMS} | {f.form for f in FILTERS}
    missing = sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in _our_form_classes()
        if cls not in mapped and cls.__name__ not in NOT_SURFACES
    )
    assert missing == [], "add these forms to tests/hostile/surfaces.py (FORMS, FILTERS or NOT_SURFACES)"


def _web_patterns(patterns=None, prefix="", namespace=None):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _web_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif entry.name and not (prefix + str(entry.pattern)).startswith("api/"):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def test_every_url_with_a_path_parameter_is_in_the_map(hostile):
    web = {name for name, entry in _web_patterns() if entry.pattern.converters and name.split(":")[0] != "admin"}
    api_paths = {
        f"GET {path}" for path, ops in api.get_openapi_schema()["paths"].items() if "{" in path and "get" in ops
    }
    mapped = set(path_objects(hostile))
    assert sorted((web | api_paths) - mapped) == [], "add these to surfaces.path_objects"
    assert sorted(mapped - (web | api_paths)) == [], "these routes are gone: drop them from surfaces.path_objects"


def test_every_api_write_is_in_the_map():
    schema = api.get_openapi_schema()["paths"]
    writes = {
        (method, path) for path, ops in schema.items() for method in ops if method in {"post", "put", "patch", "delete"}
    }
    assert writes == API_WRITES


def test_every_import_kind_is_in_the_map():
    assert tuple(KINDS) == IMPORT_KINDS
