"""The layers of docs/ARCHITECTURE.md, read from the imports of every module (tests and migrations
aside). A module may import from its own layer and the ones below it, never from above:

    core                      errors, clock, geo, evidence files, the append-only base
    organisation              people, units, areas (and, above them, accounts: signing in)
    standard, sites           the standard's tree, site types, sites
    domain models             campaigns, problems, inspections, bulletins, dossier: models and states
    access                    who sees what and who may do what, over every model
    domain services and views each domain app's services, selectors, forms, views, API; exchange
    oversight, demo, audit    pages across apps (overview, a unit's page), the demo district and the
                              cross-app integrity check: above everything
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = {
    "campaigns",
    "problems",
    "inspections",
    "bulletins",
    "dossier",
    "exchange",
    "documents",
    "notifications",
    "public",
}
TOP = {"demo", "audit", "oversight"}
FIRST_PARTY = {"core", "organisation", "accounts", "standard", "sites", "access", *DOMAIN, *TOP}


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def imported(path: Path) -> set[str]:
    """The first-party top-level packages a module imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & FIRST_PARTY


def full_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def violations(packages, forbidden) -> list[str]:
    found = []
    for package in packages:
        for path in modules(package):
            bad = (imported(path) - {package}) & forbidden
            if bad:
                found.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    return found


def test_core_is_the_floor_and_imports_no_other_app():
    assert violations(["core"], FIRST_PARTY - {"core"}) == []


@pytest.mark.parametrize("package", ["organisation", "standard", "sites"])
def test_reference_data_imports_no_domain_app_nor_access(package):
    assert violations([package], DOMAIN | TOP | {"access"}) == []


def test_no_model_module_imports_access_or_services():
    """Models sit below access: access reads every model, so a model importing it would be a cycle."""
    found = []
    for package in sorted(FIRST_PARTY):
        for path in modules(package):
            if path.name not in ("models.py", "states.py"):
                continue
            bad = imported(path) & (TOP | {"access"})
            services = [name for name in full_names(path) if name.endswith((".services", ".views", ".selectors"))]
            if bad or services:
                found.append(f"{path.relative_to(ROOT)} imports {sorted(bad) + services}")
    assert found == []


def test_access_imports_models_and_states_only():
    """The rules read models; they never call a service, a view or the demo."""
    found = []
    for path in modules("access"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top, _, rest = node.module.partition(".")
                if top in DOMAIN | {"sites", "standard", "organisation"} and rest not in ("models", "states"):
                    found.append(f"{path.relative_to(ROOT)}: from {node.module}")
                if top in TOP:
                    found.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert found == []


def test_nothing_below_the_top_imports_the_demo_or_the_audit():
    below = ["core", "organisation", "standard", "sites", "access", *sorted(DOMAIN)]
    assert violations([p for p in below if (ROOT / p).is_dir()], TOP) == []


def test_the_domain_apps_import_each_other_in_one_direction_only():
    """A problem belongs to a campaign, so problems may read campaigns and not the other way;
    pages that read across apps (the overview, a unit's page) live in oversight, above them."""
    apps = sorted(DOMAIN | {"oversight"})
    graph = {app: imported_apps(app, apps) for app in apps if (ROOT / app).is_dir()}
    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))
    assert cycles == []


def imported_apps(package: str, apps) -> set[str]:
    found = set()
    for path in modules(package):
        found |= {name.split(".")[0] for name in full_names(path)}
    return (found & set(apps)) - {package}


def test_documents_know_how_a_document_looks_never_what_it_says():
    """Renderers take rows or a document model; they read no domain app."""
    assert violations(["documents"], FIRST_PARTY - {"core"}) == []
