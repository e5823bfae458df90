//! Document names: 1..=256 characters of `[A-Za-z0-9._~/-]`.

/// The longest document name, in characters.
pub const MAX_DOC_NAME_LEN: usize = 256;

/// Whether `name` (already percent-decoded) is a valid document name.
pub fn is_valid_doc_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DOC_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'/' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_doc_name("board-1"));
        assert!(is_valid_doc_name("team/board.v2~x_y"));
        assert!(is_valid_doc_name(&"a".repeat(256)));
        assert!(!is_valid_doc_name(&"a".repeat(257)));
        assert!(!is_valid_doc_name(""));
        assert!(!is_valid_doc_name("a b"));
        assert!(!is_valid_doc_name("a%2F"));
        assert!(!is_valid_doc_name("é"));
        assert!(!is_valid_doc_name("a?b"));
    }
}
