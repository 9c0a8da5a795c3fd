//! The audit log's filter form: a GET form, so the filter lives in the URL. Each field
//! shows the message that refused it, tied to the input for screen readers.

use super::Request;
use crate::components::FilterTextField;
use crate::domain::audit::{AuditAction, AuditField, AuditProblem};
use leptos::prelude::*;
use leptos_router::components::{Form, A};

fn field(
    request: Memo<Request>,
    problems: Memo<Vec<AuditProblem>>,
    which: AuditField,
    label: &'static str,
    hint: Option<&'static str>,
) -> impl IntoView {
    let value = Signal::derive(move || request.with(|r| r.filter.get(which).to_string()));
    let error = Signal::derive(move || {
        problems.with(|p| p.iter().find(|p| p.field == which).map(|p| p.message.clone()))
    });
    view! { <FilterTextField name=which.key() prefix="audit" label hint value error /> }
}

#[component]
pub fn AuditFilterForm(request: Memo<Request>, problems: Memo<Vec<AuditProblem>>) -> impl IntoView {
    let f = move |which, label, hint| field(request, problems, which, label, hint);
    let event_error = move || {
        problems.with(|p| {
            p.iter()
                .find(|p| p.field == AuditField::Event)
                .map(|p| p.message.clone())
        })
    };
    let option = move |value: &'static str, text: &'static str| {
        view! {
            <option value=value selected=move || request.with(|r| r.filter.event.trim() == value)>
                {text}
            </option>
        }
    };
    let options = AuditAction::ALL
        .iter()
        .map(|a| option(a.as_str(), a.label()))
        .collect_view();
    view! {
        <Form
            method="GET"
            action=""
            attr:class="filters"
            attr:role="search"
            attr:aria-label="Filter audit events"
        >
            <div class="filters__fields">
                <div class="field">
                    <label for="audit-event">"Event type"</label>
                    <select id="audit-event" name="event" aria-describedby="audit-event-error">
                        {option("", "Any")}
                        {options}
                    </select>
                    <p id="audit-event-error" class="field__error">
                        {event_error}
                    </p>
                </div>
                {f(AuditField::Actor, "Actor", Some("Part of a name or email, or “system”"))}
                {f(AuditField::Target, "Target user", Some("Part of a name or email"))}
                {f(
                    AuditField::Ip,
                    "IP address or range",
                    Some("Of the actor's request: an address or CIDR range, IPv4 or IPv6"),
                )}
                {f(
                    AuditField::After,
                    "From",
                    Some("A UTC date like 2026-11-29 (the whole day counts) or an RFC 3339 time"),
                )}
                {f(AuditField::Before, "Until", None)}
            </div>
            <div class="filters__actions">
                <button type="submit" class="button button--primary">
                    "Apply filters"
                </button>
                <A href="/iam/audit" attr:class="button button--ghost">
                    "Clear filters"
                </A>
            </div>
        </Form>
    }
}
