use super::{parse_name, UnknownName};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A person's role in one account. A person may hold a different role in each account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Administrator,
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Administrator, Role::Member];

    /// The value stored in the database and accepted on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Member => "member",
        }
    }

    /// The label shown in the console.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Member => "Member",
        }
    }

    /// Owners and administrators manage the account's users, sessions and settings.
    pub fn can_manage_account(self) -> bool {
        matches!(self, Role::Owner | Role::Administrator)
    }

    /// Whether someone with this role may end sessions of a user holding `target`.
    /// An administrator may not end the owner's sessions.
    pub fn can_end_sessions_of(self, target: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Administrator => target != Role::Owner,
            Role::Member => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;
    /// Accepts any case and "admin" for administrator.
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let name = match s.trim().to_ascii_lowercase() {
            admin if admin == "admin" => "administrator".to_string(),
            other => other,
        };
        parse_name(&name, &Role::ALL, Self::as_str, "role")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Administrator));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_owner_and_administrators_manage() {
        assert!(Role::Owner.can_manage_account());
        assert!(Role::Administrator.can_manage_account());
        assert!(!Role::Member.can_manage_account());
    }

    #[test]
    fn administrator_cannot_end_owner_sessions() {
        assert!(Role::Owner.can_end_sessions_of(Role::Administrator));
        assert!(Role::Administrator.can_end_sessions_of(Role::Member));
        assert!(Role::Administrator.can_end_sessions_of(Role::Administrator));
        assert!(!Role::Administrator.can_end_sessions_of(Role::Owner));
        assert!(!Role::Member.can_end_sessions_of(Role::Member));
    }
}
