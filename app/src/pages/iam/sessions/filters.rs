//! The filter form: a GET form, so the filter lives in the URL. Each field shows the
//! message that refused it, tied to the input for screen readers.

use super::Request;
use crate::components::FilterTextField;
use crate::domain::search::{FilterField, FilterProblem};
use leptos::prelude::*;
use leptos_router::components::{Form, A};

/// One text-like input with its label, hint and error.
fn field(
    request: Memo<Request>,
    problems: Memo<Vec<FilterProblem>>,
    which: FilterField,
    label: &'static str,
    kind: &'static str,
    hint: Option<&'static str>,
) -> impl IntoView {
    let value = Signal::derive(move || request.with(|r| r.filter.get(which).to_string()));
    let error = Signal::derive(move || {
        problems.with(|p| p.iter().find(|p| p.field == which).map(|p| p.message.clone()))
    });
    view! { <FilterTextField name=which.key() prefix="filter" label kind hint value error /> }
}

/// A select whose options are (value, label) pairs.
fn choice(
    request: Memo<Request>,
    key: &'static str,
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    current: fn(&Request) -> &str,
) -> impl IntoView {
    let id = format!("filter-{key}");
    let options = options
        .iter()
        .map(|&(value, text)| {
            view! {
                <option value=value selected=move || request.with(|r| current(r) == value)>
                    {text}
                </option>
            }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=key>
                {options}
            </select>
        </div>
    }
}

#[component]
pub fn FilterForm(request: Memo<Request>, problems: Memo<Vec<FilterProblem>>) -> impl IntoView {
    let f = move |which, label, kind, hint| field(request, problems, which, label, kind, hint);
    view! {
        <Form
            method="GET"
            action=""
            attr:class="filters"
            attr:role="search"
            attr:aria-label="Filter sessions"
        >
            <div class="filters__fields">
                {f(FilterField::User, "User", "search", Some("Part of a name or email"))}
                {f(
                    FilterField::Ip,
                    "IP address or range",
                    "text",
                    Some("An address or CIDR range, IPv4 or IPv6: 203.0.113.0/24"),
                )} {f(FilterField::Device, "Device, browser or OS", "search", None)}
                {choice(
                    request,
                    "credential",
                    "Credential",
                    &[("", "Any"), ("browser", "Browser"), ("cli", "CLI")],
                    |r| r.filter.credential.as_str(),
                )}
                {choice(
                    request,
                    "state",
                    "State",
                    &[("active", "Active"), ("ended", "Ended"), ("all", "All")],
                    |r| if r.filter.state.is_empty() { "active" } else { r.filter.state.as_str() },
                )}
                {f(
                    FilterField::SignedInAfter,
                    "Signed in from",
                    "text",
                    Some("A UTC date like 2026-11-29 (the whole day counts) or an RFC 3339 time"),
                )} {f(FilterField::SignedInBefore, "Signed in until", "text", None)}
                {f(FilterField::ActiveAfter, "Last active from", "text", None)}
                {f(FilterField::ActiveBefore, "Last active until", "text", None)}
                {choice(
                    request,
                    "sort",
                    "Sort by",
                    &[("signed_in", "Signed in, newest first"), ("last_active", "Last active, newest first")],
                    |r| if r.sort.is_empty() { "signed_in" } else { r.sort.as_str() },
                )}
            </div>
            <div class="filters__actions">
                <button type="submit" class="button button--primary">
                    "Apply filters"
                </button>
                <A href="/iam/sessions" attr:class="button button--ghost">
                    "Clear filters"
                </A>
            </div>
        </Form>
    }
}
