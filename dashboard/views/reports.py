"""Reports & exports: every bundle table as CSV or Parquet, the retraining files (SFT and
preference JSONL, PII-scrubbed), and the PDF / HTML report. Files are built only when a
download button is clicked (deferred), so the page itself stays fast. A deferred build runs
outside the visitor's script run (no session there), so the signed-in user and their session are
resolved while the page renders, and re-checked when the file is built (dashboard/downloads.py:
a session ended since builds nothing); every download is then recorded in the audit log (its
SHA-256 under that user), like the CLI's `assay report` and `assay export`."""

from __future__ import annotations

import streamlit as st

from audits import access
from audits.errors import AssayError
from dashboard import state
from dashboard.downloads import builder, claim_of, holder, record


# what each evidence table holds, in words (the file keeps the table's name)
TABLE_WORDS = {"samples": "every prompt, output and per-sample score", "metrics": "each measure with its 95% interval and n",
               "findings": "personal data found (kind, position, redacted context)", "fairness": "measures by group",
               "counterfactuals": "prompt pairs that differ only in the person's group",
               "explanations": "which words of a prompt drove the answer", "review_queue": "outputs queued for human review",
               "sensitivity": "how results move when the prompt wording changes"}


def _tables(run_id: str) -> None:
    st.subheader("Evidence tables")
    if not state.can("export"):
        st.info("Your role cannot export evidence; ask a committee member, compliance officer or admin.")
        return
    names = state.available_tables(run_id)
    if not names:
        st.info("This run's bundle holds no tables.")
        return
    cat = state.catalog()
    who = holder(state.current_user())  # the access layer drops what this user may not see (raw PII)
    for name in names:
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.markdown(f"{TABLE_WORDS.get(name, name.replace('_', ' ')).capitalize()} · `{name}`")
        for col, fmt, mime, label in ((c2, "csv", "text/csv", "CSV"),
                                      (c3, "parquet", "application/vnd.apache.parquet", "Parquet")):
            file_name = f"{run_id}-{name}.{fmt}"
            col.download_button(label, builder(cat, who, "export",
                                               lambda u, n=name, f=fmt: access.export_bytes(cat, u, run_id, n, f),
                                               run_id, file_name, f"{fmt}:{name}"),
                                file_name=file_name, mime=mime, key=f"dl-{name}-{fmt}", on_click="ignore",
                                icon=":material/download:")


def _retraining(run_id: str) -> None:
    st.subheader("Retraining files")
    try:
        from audits.review import retraining
    except ImportError:
        st.caption("Retraining exports are not installed yet.")
        return
    if not state.can("export_retraining"):
        st.info("Your role cannot export retraining files.")
        return
    cat = state.catalog()
    who = holder(state.current_user())
    st.caption("Built from settled review labels; PII replaced by `<ENTITY_TYPE>`. Also: `assay export`.")
    c1, c2 = st.columns(2)
    c1.download_button("Chat SFT (JSONL)", builder(cat, who, "export_retraining",
                                                   lambda u: retraining.to_jsonl(retraining.build_sft(cat, run_id)),
                                                   run_id, f"{run_id}-sft.jsonl", "sft"),
                       file_name=f"{run_id}-sft.jsonl", mime="application/jsonl", key="dl-sft", on_click="ignore")
    c2.download_button("Preference pairs (JSONL)",
                       builder(cat, who, "export_retraining",
                               lambda u: retraining.to_jsonl(retraining.build_preference(cat, run_id)),
                               run_id, f"{run_id}-preference.jsonl", "preference"),
                       file_name=f"{run_id}-preference.jsonl", mime="application/jsonl", key="dl-pref",
                       on_click="ignore")


def _reports(run_id: str) -> None:
    st.subheader("Reports")
    try:
        import reports
    except ImportError:
        reports = None
    build_pdf = getattr(reports, "build_pdf", None)
    build_html = getattr(reports, "build_html", None)
    if build_pdf is None and build_html is None:
        st.caption("Report builders are not installed yet.")
        return
    cat = state.catalog()
    who = holder(state.current_user())   # now, in the session: the deferred builds below have none
    if state.can("export"):
        st.markdown("**Evidence pack for a regulator**: the PDF report, the checklist with its evidence (CSV), "
                    "every table, the run's evidence files and manifest, the signed audit-log checkpoint, and a "
                    "README saying how to verify each part. Its SHA-256 is recorded in the audit log.")
        st.download_button("Evidence pack (zip)", builder(cat, who, "export",
                                                          lambda u: _pack(cat, run_id, u.name, claim_of(cat, u)),
                                                          run_id, f"{run_id}-evidence.zip", "pack", log=False),
                           file_name=f"{run_id}-evidence.zip",
                           mime="application/zip", key="dl-pack", on_click="ignore", type="primary",
                           icon=":material/folder_zip:")
    c1, c2 = st.columns(2)
    if build_pdf is not None:
        c1.download_button("PDF report", builder(cat, who, "view", lambda u: build_pdf(cat, run_id), run_id,
                                                      f"{run_id}.pdf", "pdf"), file_name=f"{run_id}.pdf",
                           mime="application/pdf", key="dl-pdf", on_click="ignore", icon=":material/picture_as_pdf:")
    if build_html is not None:
        c2.download_button("HTML report", builder(cat, who, "view", lambda u: build_html(cat, run_id), run_id,
                                                        f"{run_id}.html", "html"), file_name=f"{run_id}.html",
                           mime="text/html", key="dl-html", on_click="ignore", icon=":material/html:")


def _pack(cat, run_id: str, actor: str, claim: dict[str, str] | None = None) -> bytes:
    """The evidence pack's bytes; its SHA-256 goes into the audit log under ``actor`` (resolved by
    the caller while the page rendered: this runs outside the session)."""
    from reports.pack import build_pack

    payload, _ = build_pack(cat, run_id, actor=actor)
    record(cat, run_id, actor, f"{run_id}-evidence.zip", payload, "pack", claim)
    return payload


def render() -> None:
    st.title("Reports & exports")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        _reports(run_id)   # the report and the evidence pack first; single tables after
        _tables(run_id)
        _retraining(run_id)
        with st.expander("Manifest (hashes of every file, config, model, data and code identities)"):
            st.json(state.manifest(run_id).model_dump(mode="json"), expanded=False)
    except AssayError as err:
        state.show_error(err)
