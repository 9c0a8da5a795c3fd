mod user;
mod users;

pub use user::UserPage;
pub use users::UsersPage;

use crate::error::AppError;
use leptos::prelude::*;

/// What a console page shows when its data could not be loaded: the 403 page for
/// people without access, "not found", or the error.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    crate::components::reload_if_signed_out(&error);
    match error {
        AppError::Forbidden => view! {
            <leptos_meta::Title text="No access"/>
            <h1>"You don't have access to this page"</h1>
            <p>"Only the account's owner and administrators can manage users and their sessions. You can review your own sessions on your profile."</p>
        }
        .into_any(),
        AppError::NotFound => view! {
            <leptos_meta::Title text="Not found"/>
            <h1>"User not found"</h1>
            <p>"There is no such user in this account."</p>
            <p><a href="/iam/users">"Back to users"</a></p>
        }
        .into_any(),
        other => view! {
            <h1>"Something went wrong"</h1>
            <p role="alert" class="notice notice--error">{other.to_string()}</p>
        }
        .into_any(),
    }
}
