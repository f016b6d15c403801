"""Retraining data on the Review page: chat SFT and preference pairs from settled labels, PII-scrubbed.

Each file is built only when its download button is clicked, through :mod:`dashboard.downloads`: the
signed-in user is resolved while the page renders, and the build (which Streamlit runs outside the
session) re-checks that this session still signs them in and that their current role may
``export_retraining`` (and ``view_raw_pii`` for a file that keeps raw personal data); otherwise
nothing is built or logged. A built file goes into the audit log under that user
(``export.retraining-<kind>``, with its SHA-256, like ``assay export``); a manifest download as a
dashboard download.
"""

from __future__ import annotations

import json
from typing import Callable

import streamlit as st

from audits.access import User, can
from audits.errors import AssayError
from audits.review import retraining
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.downloads import Holder, builder, claim_of, holder
from dashboard.views.review_item import FLAG_NAMES


def export_file(cat: Catalog, run_id: str, kind: str, user: User, keep_pii: bool, exclude: list[str],
                only: list[str]) -> tuple[bytes, dict]:
    """(JSONL bytes, manifest) of one retraining file for ``user`` (their role as of now); raw personal data
    only when asked and the role may still see it."""
    if keep_pii and not can(user, "view_raw_pii"):
        raise AssayError(f"user {user.name!r} ({user.role}) may not export raw personal data",
                         "export the scrubbed file (untick 'Keep raw PII')")
    data, manifest = retraining.build_export(cat, run_id, kind, scrub=not keep_pii, exclude_flags=exclude,
                                             only_flags=only)
    manifest["file"] = f"{run_id}-{kind}.jsonl"
    return data, manifest


def jsonl_builder(cat: Catalog, who: Holder, run_id: str, kind: str, keep_pii: bool, exclude: list[str],
                  only: list[str]) -> Callable[[], bytes]:
    """The deferred build of one retraining file: re-checks ``who``, builds, logs the export under them."""
    def build(user: User) -> bytes:
        data, manifest = export_file(cat, run_id, kind, user, keep_pii, exclude, only)
        retraining.log_export(cat, run_id, manifest, user.name, claim_of(cat, user))
        return data
    return builder(cat, who, "export_retraining", build, run_id, f"{run_id}-{kind}.jsonl", kind, log=False)


def manifest_builder(cat: Catalog, who: Holder, run_id: str, kind: str, keep_pii: bool, exclude: list[str],
                     only: list[str]) -> Callable[[], bytes]:
    """The deferred build of a retraining file's manifest (the file is built again to hash it; logged)."""
    def build(user: User) -> bytes:
        return json.dumps(export_file(cat, run_id, kind, user, keep_pii, exclude, only)[1], indent=2) + "\n"
    name = f"{run_id}-{kind}.manifest.json"
    return builder(cat, who, "export_retraining", build, run_id, name, f"{kind}-manifest")


def render(run_id: str, user: auth.User) -> None:
    """The filter and the four download buttons (nothing is built until one is clicked)."""
    st.subheader("Retraining data")
    st.caption("Settled labels only (reviewers agree, or adjudicated). SFT: chat messages with the confirmed or "
               "corrected answer. Preference: prompt, chosen = correction, rejected = model output. Personal data "
               "is replaced by <ENTITY> tags with the PII scanner's engine; an item whose output leaks personal "
               "data (queued as a leak, found by the scanner, or flagged privacy) never enters. Built when you "
               "click; each download is in the audit log.")
    keep = bool(st.checkbox("Keep raw PII (admins only)", key="rt_keep_pii")) if can(user, "view_raw_pii") else False
    flagged = rv.flag_counts(state.catalog(), run_id)
    name = {f: f"{FLAG_NAMES[f]} ({flagged[f]} flagged)" for f in FLAG_NAMES}
    choosable = [f for f in FLAG_NAMES if f != retraining.PRIVACY_FLAG]
    left, right = st.columns(2)
    only = right.multiselect("Only items flagged", choosable, default=[], format_func=name.get, key="rt_only",
                             help="Keep only items a reviewer flagged so, e.g. the corrected biased answers as "
                                  "preference pairs for debiasing.")
    # privacy is no choice: an item flagged privacy never enters (the caption says so)
    exclude = left.multiselect("Leave out items flagged", choosable,
                               default=[f for f in retraining.DEFAULT_EXCLUDE if f in choosable],
                               format_func=name.get, key="rt_exclude",
                               help="An item any reviewer flagged with one of these is not in the files "
                                    "(a flag picked under “Only items flagged” selects instead).")
    exclude = [f for f in exclude if f not in only]
    cat, who = state.catalog(), holder(user)   # who: read now, in the session; the builds below run outside it
    cols = st.columns(4)
    for i, kind in enumerate(retraining.KINDS):
        args = (cat, who, run_id, kind, keep, list(exclude), list(only))
        cols[2 * i].download_button(f"{kind.upper()} JSONL", jsonl_builder(*args), file_name=f"{run_id}-{kind}.jsonl",
                                    mime="application/jsonl", key=f"rt_dl_{kind}", on_click="ignore",
                                    icon=":material/download:")
        cols[2 * i + 1].download_button(f"{kind} manifest", manifest_builder(*args),
                                        file_name=f"{run_id}-{kind}.manifest.json", mime="application/json",
                                        key=f"rt_man_{kind}", on_click="ignore")
