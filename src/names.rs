//! Enums that are named in text: one macro writes each name once, for
//! `name`, `Display`, `FromStr`, serde and error messages alike.

/// For a unit-variant enum `$ty`, called `$what` (`$article` in a
/// sentence) in error messages, with
/// the text name of each variant: `ALL` (every variant, in order), `name`,
/// `Display` (the name), `FromStr` (the name back, or
/// [`Error::InvalidConfig`](crate::Error::InvalidConfig) naming every
/// accepted name) and, with the `serde` feature, serde as the name.
macro_rules! named_enum {
    ($ty:ident, $what:literal, $article:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $ty {
            /// Every variant, in the order of their names in error messages.
            pub(crate) const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            #[doc = concat!(
                "The ", $what, "'s name",
                $(", `\"", $name, "\"`",)+
                ": what `Display` writes, `FromStr` reads and saved files hold."
            )]
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::Error;

            #[doc = concat!("Reads the ", $what, "'s [`name`](", stringify!($ty), "::name).")]
            ///
            /// # Errors
            /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) naming
            /// the accepted values for anything else.
            fn from_str(s: &str) -> Result<Self, crate::Error> {
                $ty::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| crate::Error::InvalidConfig {
                        name: $what,
                        reason: format!(
                            "{s:?} is not {} this crate knows; use {}",
                            $article,
                            crate::names::one_of(&$ty::ALL.map(|v| v.name()))
                        ),
                    })
            }
        }

        /// Written as its name.
        #[cfg(feature = "serde")]
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        /// Read from its name.
        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = String::deserialize(deserializer)?;
                name.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use named_enum;

/// `"a", "b" or "c"`: the accepted names, quoted, for an error message.
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
