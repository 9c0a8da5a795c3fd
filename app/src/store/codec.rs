//! How the domain's enums travel to and from the database: as their text names, on
//! both backends. Decoding an unknown name is an error, never a default, so a row
//! this version cannot read fails loudly instead of being misjudged.

use crate::domain::{EndReason, Role, SessionKind};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Implements `Type`, `Encode` and `Decode` as text for enums with `as_str` and `FromStr`.
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

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <&str as Encode<'q, DB>>::encode(self.as_str(), buf)
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

text_enum!(Role, SessionKind, EndReason);
