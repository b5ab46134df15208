//! Token shapes the scan reads beyond single paths: where a statement ends, what a group of
//! literals assembles to, whether a write's argument names a place outside `OUT_DIR`, and how
//! evidence text is shortened.

use super::lexer::{Tok, Token};

/// Shortens text for evidence: control characters as spaces, at most 60 characters.
pub fn short(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= 60 {
        return clean;
    }
    let mut cut: String = clean.chars().take(57).collect();
    cut.push('…');
    cut
}

/// A byte string shown as text when it is printable text, else as its first bytes in hex
/// (`b"\x7fELF…"` would print as replacement characters).
pub fn short_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text)
            if !text
                .chars()
                .any(|c| c.is_control() && !c.is_ascii_whitespace()) =>
        {
            short(text)
        }
        _ => {
            let mut hex: String = bytes.iter().take(20).map(|b| format!("{b:02x}")).collect();
            if bytes.len() > 20 {
                hex.push('…');
            }
            format!("0x{hex}")
        }
    }
}

/// True when a token of a write's arguments names a place outside the build's own directories.
pub fn outside_out_dir(word: &str, literal: bool) -> bool {
    if matches!(word, "home_dir" | "HOME" | "USERPROFILE" | "CARGO_HOME") {
        return true;
    }
    if !literal {
        return false;
    }
    let b = word.as_bytes();
    let absolute = (b.len() >= 2 && b[0] == b'/' && b[1] != b'/')
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'/' | b'\\'));
    absolute
        || word.starts_with('~')
        || word.split(['/', '\\']).any(|c| c == "..")
        || word.contains("/tmp")
}

/// The end of the statement that contains `from`: the next `;` at the same depth, or the end of
/// the enclosing group.
pub fn stmt_end(toks: &[Token], from: usize, limit: usize) -> usize {
    let limit = limit.min(toks.len());
    let mut j = from;
    while j < limit {
        match toks[j].tok {
            Tok::Punct(';', _) | Tok::Close(_) => return j,
            Tok::Open(_, e) => j = e + 1,
            _ => j += 1,
        }
    }
    limit
}

/// The strings a group's literal arguments may assemble to: concatenated (`concat!`, `join("")`),
/// joined by `/` (path pieces), and the first one used as a format string for the others.
pub fn assemble(args: &[Option<String>]) -> Vec<String> {
    let lits: Vec<&str> = args.iter().flatten().map(String::as_str).collect();
    let mut out = vec![lits.concat(), lits.join("/")];
    if let Some(Some(fmt)) = args.first()
        && fmt.contains('{')
    {
        let mut rest = args[1..].iter();
        let mut s = String::new();
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '{' && chars.peek() != Some(&'{') {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                s.push_str(rest.next().and_then(|a| a.as_deref()).unwrap_or(""));
            } else {
                s.push(c);
            }
        }
        out.push(s);
    }
    out
}
