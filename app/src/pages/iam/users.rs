use super::{IamHeading, LoadError};
use crate::api::iam::list_users;
use crate::components::{DataTable, Loading, RelativeTime};
use crate::model::{UserSort, UsersPage as Page};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

fn page_href(search: &str, sort: UserSort, page: u32) -> String {
    let page = page.to_string();
    let mut pairs = vec![("page", page.as_str()), ("sort", sort.as_str())];
    if !search.is_empty() {
        pairs.push(("q", search));
    }
    super::query_href("/iam/users", &pairs)
}

/// Manage > Access (IAM) > Users: the account's users, searched, sorted and paged on the server.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let search = q.get("q").unwrap_or_default();
            let sort = UserSort::parse(&q.get("sort").unwrap_or_default());
            let page = q
                .get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1);
            (search, sort, page)
        })
    };
    let users = Resource::new(params, |(search, sort, page)| list_users(search, sort, page));

    let table = move |data: Page, search: String, sort: UserSort| {
        let first = if data.total == 0 {
            0
        } else {
            i64::from(data.page - 1) * i64::from(data.page_size) + 1
        };
        let last = (first + data.users.len() as i64 - 1).max(0);
        let pages = ((data.total + i64::from(data.page_size) - 1) / i64::from(data.page_size)).max(1);
        let now = data.now;
        let prev = (data.page > 1).then(|| page_href(&search, sort, data.page - 1));
        let next = (i64::from(data.page) < pages).then(|| page_href(&search, sort, data.page + 1));
        let summary = if data.total == 0 {
            String::new()
        } else {
            let noun = if data.total == 1 { "user" } else { "users" };
            format!("Showing {first}–{last} of {} {noun}", data.total)
        };
        let empty = data.users.is_empty().then(|| {
            let text = if search.is_empty() {
                "This account has no users.".to_string()
            } else {
                format!("No users match “{search}”.")
            };
            view! { <p class="empty-state">{text}</p> }
        });
        let rows = data
            .users
            .into_iter()
            .map(|u| {
                view! {
                    <tr>
                        <td data-label="Name">
                            <A href=format!("/iam/users/{}", u.user_id)>{u.display_name.clone()}</A>
                        </td>
                        <td data-label="Email">{u.email.clone()}</td>
                        <td data-label="Role">{u.role.label()}</td>
                        <td class="numeric" data-label="Active sessions">
                            {u.active_sessions}
                        </td>
                        <td data-label="Last active">
                            {match u.last_active_at {
                                Some(at) => view! { <RelativeTime at now /> }.into_any(),
                                None => view! { <span class="muted">"Never"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="table-summary" aria-live="polite">
                {summary}
            </p>
            {empty}
            <DataTable
                caption="Users of this account"
                head=view! {
                    <th scope="col" aria-sort=if sort == UserSort::Name { "ascending" } else { "none" }>
                        "Name"
                    </th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col" class="numeric">
                        "Active sessions"
                    </th>
                    <th
                        scope="col"
                        aria-sort=if sort == UserSort::LastActive { "descending" } else { "none" }
                    >
                        "Last active"
                    </th>
                }
                    .into_any()
            >
                {rows}
            </DataTable>
            <nav class="pagination" aria-label="Pages of users">
                {match prev {
                    Some(href) => {
                        view! {
                            <A href=href attr:class="button button--ghost">
                                "Previous page"
                            </A>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <span class="button button--ghost" aria-disabled="true">
                                "Previous page"
                            </span>
                        }
                            .into_any()
                    }
                }}
                <span>{format!("Page {} of {pages}", data.page)}</span>
                {match next {
                    Some(href) => {
                        view! {
                            <A href=href attr:class="button button--ghost">
                                "Next page"
                            </A>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <span class="button button--ghost" aria-disabled="true">
                                "Next page"
                            </span>
                        }
                            .into_any()
                    }
                }}
            </nav>
        }
        .into_any()
    };

    view! {
        <Title text="Users" />
        <IamHeading title="Users" />
        <Form method="GET" action="" attr:class="search-bar" attr:role="search">
            <div class="field">
                <label for="user-search">"Search by name or email"</label>
                <input
                    id="user-search"
                    type="search"
                    name="q"
                    prop:value=move || params().0
                    maxlength="200"
                />
            </div>
            <div class="field">
                <label for="user-sort">"Sort by"</label>
                <select id="user-sort" name="sort">
                    <option value="name" selected=move || params().1 == UserSort::Name>
                        "Name"
                    </option>
                    <option value="last_active" selected=move || params().1 == UserSort::LastActive>
                        "Last active"
                    </option>
                </select>
            </div>
            <button type="submit" class="button button--primary">
                "Search"
            </button>
        </Form>
        <Transition fallback=|| {
            view! { <Loading text="Loading users…" /> }
        }>
            {move || Suspend::new(async move {
                let (search, sort, _) = params();
                match users.await {
                    Ok(data) => table(data, search, sort),
                    Err(error) => {
                        let title = if error == crate::AppError::Forbidden { "No access" } else { "Users" };
                        view! {
                            <Title text=title />
                            <LoadError error subject="Users" />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
