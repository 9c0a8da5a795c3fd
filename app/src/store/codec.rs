//! How the domain's enums travel to and from the database: as their text names, on
//! both backends. Decoding an unknown name is an error, never a default, so a row
//! this version cannot read fails loudly instead of being misjudged.

use crate::domain::{EndReason, Role, SessionKind};
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Type};

/// Implements `Type` and `Decode` as text (binding goes through `dialect::Value`) for enums with `as_str` and `FromStr`.
macro_rules! text_enum {
    ($($name:ty),*) => {$(
        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&str as Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }
    )*};
}

text_enum!(
    Role,
    SessionKind,
    EndReason,
    crate::domain::audit::AuditAction,
    crate::domain::device::DeviceKind
);
