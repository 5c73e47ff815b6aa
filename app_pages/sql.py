"""SQL console: one read-only SELECT over the export's views, shared through the URL (`?q=`)."""

import streamlit as st

from explorer.queries.console import DEFAULT_PAGE_SIZE, EXAMPLES, MAX_SQL_CHARS, PAGE_SIZES, run_console, view_columns
from explorer.store import QueryError
from explorer.textsafe import count_label, escape_markdown
from explorer.ui.common import get_store, set_url, show_notices, url_params
from explorer.ui.gallery import pager

store = get_store()
params = url_params()
q = params.text("q", max_len=MAX_SQL_CHARS)
size = int(params.choice("size", [str(n) for n in PAGE_SIZES], str(DEFAULT_PAGE_SIZE)) or DEFAULT_PAGE_SIZE)
page = params.integer("page", 1, lo=1)

# The URL is the source of truth: when it changed from outside (a shared link, Back), show its values.
if st.session_state.get("sql.url_q") != q:
    st.session_state["sql.query"] = q
    st.session_state["sql.url_q"] = q


def use_example(sql: str) -> None:
    st.session_state["sql.query"] = sql
    st.session_state["sql.url_q"] = sql
    set_url({"q": sql, "size": size if size != DEFAULT_PAGE_SIZE else None})


st.title("SQL console")
st.caption(
    "Read-only DuckDB SQL over the export: one SELECT at a time, no files outside the export, "
    f"stopped after {store.settings.query_timeout_s} s."
)
show_notices(params)

with st.sidebar:
    st.subheader("Views")
    if not store.views:
        st.info("No export loaded yet.")
    for view, columns in view_columns(store).items():
        with st.expander(view):
            st.dataframe(
                {"column": [c for c, _ in columns], "type": [t for _, t in columns]},
                hide_index=True,
                key=f"sql.view.{view}",
            )

st.write("Examples")
for column, (label, sql) in zip(st.columns(len(EXAMPLES)), EXAMPLES.items(), strict=True):
    column.button(label, key=f"sql.example.{label}", on_click=use_example, args=(sql,), width="stretch")

with st.form("sql.form", border=False):
    text = st.text_area(
        "Query", value=None, key="sql.query", height=160, max_chars=MAX_SQL_CHARS, placeholder="SELECT …"
    )
    left, right, _ = st.columns([1, 2, 3], vertical_alignment="bottom")
    run = left.form_submit_button("Run", type="primary", icon=":material/play_arrow:")
    chosen_size = right.selectbox("Rows per page", PAGE_SIZES, index=PAGE_SIZES.index(size), key="sql.size")

if run:
    q, size, page = (text or "").strip(), int(chosen_size), 1
    st.session_state["sql.url_q"] = q
    set_url({"q": q, "size": size if size != DEFAULT_PAGE_SIZE else None})

if not q:
    st.info("Write a query and press Run (Ctrl+Enter), or pick an example.")
    st.stop()

try:
    result = run_console(store, q, page=page, page_size=size)
except QueryError as err:
    st.error(escape_markdown(str(err)), icon=":material/error:")  # DuckDB quotes the query
    st.stop()

st.caption(f"{count_label(result.total, 'row')} · {result.seconds:.2f} s")
# The page is part of the pager's key so that its widgets start from the URL's page.
chosen = pager(result.total, result.page, result.page_size, key=f"sql.p{result.page}")
if chosen != result.page:
    set_url({"q": q, "size": size if size != DEFAULT_PAGE_SIZE else None, "page": chosen})
    st.rerun()
st.dataframe(result.frame, hide_index=True, key="sql.result")
