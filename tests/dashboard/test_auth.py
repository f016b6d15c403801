"""The permission table behind the dashboard."""

from __future__ import annotations

import pytest

from dashboard.auth import PERMISSIONS, User, can


@pytest.mark.parametrize("role,review,signoff,raw_pii,adjudicate", [
    ("viewer", False, False, False, False),
    ("reviewer", True, False, False, False),
    ("committee", True, True, False, True),
    ("compliance", False, False, False, False),
    ("admin", True, False, True, True),
])
def test_permissions(role, review, signoff, raw_pii, adjudicate):
    user = User("x", role)
    assert (can(user, "review"), can(user, "signoff"), can(user, "view_raw_pii"), can(user, "adjudicate")) == (
        review, signoff, raw_pii, adjudicate)


def test_attest_by_owner_role_only():
    assert can(User("c", "compliance"), "attest", owner_role="compliance")
    assert not can(User("a", "admin"), "attest", owner_role="compliance")
    assert not can(User("r", "reviewer"), "attest")
    with pytest.raises(ValueError):
        can(User("a", "admin"), "launch_rockets")
    assert set(PERMISSIONS["view"]) == {"viewer", "reviewer", "committee", "compliance", "admin"}
