//! `FieldVersion`: which writes a field holds now, for conditional writes
//! (If-Match).

use std::fmt;
use std::str::FromStr;

use converge_core::{Dot, ReplicaId};

use crate::{Error, Node};

/// The version of a field: the set of live dots (writes) of the node at its path, in
/// dot order. Two versions are equal exactly when the field holds the same writes; a
/// write there, a remove, or a merge that brought or superseded a write changes it.
/// An absent field has the empty version.
///
/// Its string form (for JavaScript and HTTP headers) is the dots as
/// `replica.counter` (sixteen hex digits, a dot, a decimal counter), joined by
/// commas; the empty version is the empty string.
///
/// ```
/// use converge_ormap::FieldVersion;
/// let version: FieldVersion = "000000000000000a.3,000000000000000b.1".parse()?;
/// assert_eq!(version.to_string(), "000000000000000a.3,000000000000000b.1");
/// assert_eq!("".parse::<FieldVersion>()?, FieldVersion::default());
/// # Ok::<(), converge_ormap::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldVersion(Vec<Dot>);

impl FieldVersion {
    /// The version of `node` (empty for no node).
    pub fn of(node: Option<&Node>) -> Self {
        FieldVersion::from_dots(node.map(Node::dots).unwrap_or_default())
    }

    /// The version holding these dots.
    pub fn from_dots(mut dots: Vec<Dot>) -> Self {
        dots.sort_unstable();
        dots.dedup();
        FieldVersion(dots)
    }

    /// The dots, in order.
    pub fn dots(&self) -> &[Dot] {
        &self.0
    }

    /// Whether the field holds no write.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, dot) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}.{}", dot.replica, dot.counter)?;
        }
        Ok(())
    }
}

impl fmt::Debug for FieldVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Parses the string form (see [`FieldVersion`]); the dots may come in any order.
impl FromStr for FieldVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if s.is_empty() {
            return Ok(FieldVersion::default());
        }
        let invalid = || Error::InvalidVersion(s.chars().take(200).collect());
        let dots = s
            .split(',')
            .map(|part| {
                let (replica, counter) = part.split_once('.').ok_or_else(invalid)?;
                let replica: ReplicaId = replica.parse().map_err(|_| invalid())?;
                if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                let counter: u64 = counter.parse().map_err(|_| invalid())?;
                Dot::checked(replica, counter).map_err(|_| invalid())
            })
            .collect::<Result<Vec<Dot>, Error>>()?;
        Ok(FieldVersion::from_dots(dots))
    }
}
