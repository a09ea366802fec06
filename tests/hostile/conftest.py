"""The hostile corpus's fixtures: the conftest world, staged for every surface, with the two
administrators some surfaces need, and a signed-in Probe per persona."""

import pytest

from tests import signin
from tests.factories import UserFactory
from tests.hostile.harness import Probe
from tests.hostile.surfaces import stage


@pytest.fixture
def hostile(world):
    w = stage(world)
    w.security_admin = UserFactory(username="security_admin", is_staff=True, admin_role="security")
    w.auditor = UserFactory(username="auditor", is_staff=True, admin_role="audit")
    return w


@pytest.fixture
def probes(hostile):
    """probes[persona] -> a Probe signed in as that persona (made on first use)."""
    made = {}

    class Probes(dict):
        def __missing__(self, persona):
            if persona == "office_unverified":  # password given, second factor still owed
                signin.totp_device(hostile.office)
                probe = Probe()
                signin.force_login_unverified(probe.client, hostile.office)
            elif persona == "anonymous":
                probe = Probe()
            else:
                probe = Probe(getattr(hostile, persona))
            self[persona] = probe
            return probe

    return Probes(made)
