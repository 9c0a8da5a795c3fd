//! One session in the table, with its Actions menu.

use super::{SessionScope, Target};
use crate::components::menu::{MenuButton, MenuItem};
use crate::components::time::RelativeTime;
use crate::domain::device::DeviceKind;
use crate::model::SessionRow;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

fn device_icon(kind: DeviceKind) -> &'static str {
    // Simple outline glyphs; the text beside them carries the meaning.
    match kind {
        DeviceKind::Desktop => "M3 5h18v11H3zM8 19h8v1H8zm3-3h2v3h-2z",
        DeviceKind::Phone => {
            "M8 2h8a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm1 2v15h6V4z"
        }
        DeviceKind::Tablet => {
            "M5 2h14a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm1 2v15h12V4z"
        }
        DeviceKind::Cli => "M3 4h18v16H3zm2 4 4 3-4 3v-2l2-1-2-1zm6 6h6v1.5h-6z",
        DeviceKind::Other => "M12 3a9 9 0 1 1 0 18 9 9 0 0 1 0-18zm0 2a7 7 0 1 0 0 14 7 7 0 0 0 0-14z",
    }
}

#[component]
pub fn SessionRowView(
    row: SessionRow,
    now: DateTime<Utc>,
    can_end: bool,
    scope: SessionScope,
    target: RwSignal<Option<Target>>,
) -> impl IntoView {
    let actions = (can_end && row.ended.is_none()).then(|| {
        let chosen = row.clone();
        end_menu(&row, "", move || target.set(Some(Target::One(chosen.clone()))))
    });
    let badge = row.current.then_some(scope.current_badge());
    view! {
        <tr>
            <SessionCells row now badge />
            <td class="actions-cell">{actions}</td>
        </tr>
    }
}

/// The Actions menu of a session row, with its one item, "End session". `whose` ends
/// the trigger's name where rows of several people share a table (" of Ada").
pub fn end_menu(row: &SessionRow, whose: &str, end: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let item = MenuItem::run("End session", end);
    view! {
        <MenuButton
            label=format!("Actions for session {}{whose}", row.short_description())
            id=format!("session-{}", row.id)
            items=vec![item.danger()]
            align_end=true
            class="overflow"
        >
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                <circle cx="8" cy="3" r="1.5" fill="currentColor"></circle>
                <circle cx="8" cy="8" r="1.5" fill="currentColor"></circle>
                <circle cx="8" cy="13" r="1.5" fill="currentColor"></circle>
            </svg>
        </MenuButton>
    }
}

/// A session's cells, shared by every session table: device (with the "current"
/// badge), address, credential, sign-in, last activity, and expiry or how it ended.
#[component]
pub fn SessionCells(
    row: SessionRow,
    now: DateTime<Utc>,
    /// "This session" on the viewer's own, if they may see it.
    badge: Option<&'static str>,
) -> impl IntoView {
    let device = row.device.clone();
    let expiry_label = if row.ended.is_some() { "Ended" } else { "Expires" };
    let expiry = match &row.ended {
        None => view! { <RelativeTime at=row.expires_at now /> }.into_any(),
        Some(ended) => view! {
            <span class="ended">{ended.description.clone()}</span>
            <br />
            <RelativeTime at=ended.at now />
        }
        .into_any(),
    };
    let first_ip = (row.first_ip != row.ip)
        .then(|| view! { <span class="muted">{format!(" (signed in from {})", row.first_ip)}</span> });
    view! {
        <td data-label="Device">
            <span class="device">
                <svg
                    class="device__icon"
                    viewBox="0 0 24 24"
                    width="20"
                    height="20"
                    aria-hidden="true"
                    focusable="false"
                >
                    <path fill="currentColor" d=device_icon(device.kind)></path>
                </svg>
                <span>
                    <span class="device__name">{device.name.clone()}</span>
                    <span class="device__kind">{device.kind.label()}</span>
                </span>
            </span>
            {badge.map(|text| view! { <span class="badge">{text}</span> })}
        </td>
        <td data-label="IP address">{row.ip.clone()} {first_ip}</td>
        <td data-label="Credential">{row.kind.label()}</td>
        <td data-label="Signed in">
            <RelativeTime at=row.signed_in_at now />
        </td>
        <td data-label="Last active">
            <RelativeTime at=row.last_active_at now />
        </td>
        <td data-label=expiry_label>{expiry}</td>
    }
}
