"""The demo creates one user per role with printed one-time passwords, so every act can be tried."""

from __future__ import annotations

from audits.commands.demo import DEMO_USERS, create_demo_users
from audits.store.catalog import Catalog
from audits.store.queries import users as users_q


def test_demo_users_sign_in_with_their_printed_passwords_and_are_made_once(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    made = create_demo_users(cat)
    assert [(n, r) for n, r, _ in made] == list(DEMO_USERS)
    assert {r for _, r, _ in made} >= {"committee", "compliance", "reviewer"}
    assert sum(r == "reviewer" for _, r, _ in made) == 2
    for name, role, password in made:
        found = users_q.authenticate(cat, name, password)
        assert found and found["username"] == name and found["role"] == role
    assert len({p for _, _, p in made}) == len(made)          # fresh, distinct passwords
    assert create_demo_users(cat) == []                        # existing users are left alone


def test_the_os_account_that_ran_the_demo_acts_as_demo_admin(tmp_path):
    import getpass

    cat = Catalog(tmp_path / "c.duckdb")
    create_demo_users(cat)
    mapped = users_q.user_for_os_account(cat, getpass.getuser())
    assert mapped is not None and mapped["username"] == "demo-admin" and mapped["role"] == "admin"


def test_the_demo_hint_names_only_flags_that_users_add_accepts(capsys):
    """The hint once named `--password`, which `assay users add` does not have."""
    import re

    from audits.commands import demo, users

    demo._print_users([("demo-admin", "admin", "pw")])
    hint = capsys.readouterr().out
    flags = set(re.findall(r"--[a-z][a-z-]+", hint))
    assert flags and "--password" not in flags
    source = open(users.__file__).read()
    assert all(f'"{flag}"' in source for flag in flags), flags
