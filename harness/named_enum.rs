//! Closed sets of names (compressions, transports, viewers, video codecs, target and step
//! kinds, …): each enum is declared once with the name every variant has in scenario files, on
//! the command line and in results, and serde, `as_str`, `from_name` and `Display` all read
//! that one name.

/// Declares a fieldless enum whose variants are written `Variant = "name"`. It derives
/// `Debug, Clone, Copy, PartialEq, Eq, Hash` and serde's `Serialize` and `Deserialize` under
/// those names, and gets `ALL` (declaration order), `as_str`, `from_name` and `Display`.
/// Attributes before `enum` (docs, more derives) and on variants (`#[default]`) pass through.
/// A set read from the command line adds `from_str: |name| -> Error { error }` after the enum:
/// `FromStr` then gives the value called `name`, or that error.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
        $(from_str: |$arg:ident| -> $err:ty $unknown:block)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order (the order errors list them).
            pub const ALL: [$name; [$($text),+].len()] = [$(Self::$variant),+];

            /// The name in scenario files, on the command line and in results.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The value called `name` (exactly as [`Self::as_str`] spells it), if any.
            // Not every set is looked up by name outside serde (step kinds are not).
            #[allow(dead_code)]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $(impl std::str::FromStr for $name {
            type Err = $err;

            fn from_str($arg: &str) -> Result<Self, $err> {
                Self::from_name($arg).ok_or_else(|| $unknown)
            }
        })?
    };
}

pub(crate) use named_enum;
