//! Decoding Rust literals from their source text: strings (cooked, raw, byte, C) to their values.

/// The value of one literal token, as far as the scan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lit {
    /// A string or C string literal (`"…"`, `r#"…"#`, `c"…"`), unescaped; invalid UTF-8 replaced.
    Str(String),
    /// A byte string literal (`b"…"`, `br"…"`), unescaped.
    Bytes(Vec<u8>),
    /// An integer literal, or a byte literal (`b'a'`), which is a `u8`.
    Int,
    /// Anything else: chars, floats.
    Other,
}

impl Lit {
    /// The literal as text when it is a string or byte string (byte strings decoded lossily).
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Lit::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Lit::Bytes(b) => Some(String::from_utf8_lossy(b)),
            Lit::Int | Lit::Other => None,
        }
    }
}

/// Decodes one literal from its source text (as `proc_macro2::Literal` prints it, suffix included).
pub fn decode(src: &str) -> Lit {
    let b = src.as_bytes();
    match b.first() {
        Some(b'"') => Lit::Str(lossy(cooked(&src[1..]))),
        Some(b'r') => Lit::Str(lossy(raw(&src[1..]))),
        Some(b'b') => match b.get(1) {
            Some(b'"') => Lit::Bytes(cooked(&src[2..])),
            Some(b'r') => Lit::Bytes(raw(&src[2..])),
            Some(b'\'') => Lit::Int,
            _ => Lit::Other,
        },
        Some(b'c') => match b.get(1) {
            Some(b'"') => Lit::Str(lossy(cooked(&src[2..]))),
            Some(b'r') => Lit::Str(lossy(raw(&src[2..]))),
            _ => Lit::Other,
        },
        Some(d) if d.is_ascii_digit() => number(src),
        _ => Lit::Other,
    }
}

fn lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Integer or float: hexadecimal, octal and binary are integers; a `.`, an exponent or an `f32`/`f64`
/// suffix makes a float.
fn number(src: &str) -> Lit {
    let lower = src.to_ascii_lowercase();
    if lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b") {
        return Lit::Int;
    }
    if lower.contains('.')
        || lower.contains('e')
        || lower.ends_with("f32")
        || lower.ends_with("f64")
    {
        return Lit::Other;
    }
    Lit::Int
}

/// The body of a raw literal after its `r`: `#…#"…"#…#`, suffix ignored.
fn raw(rest: &str) -> Vec<u8> {
    let hashes = rest.bytes().take_while(|&c| c == b'#').count();
    let body = &rest[hashes..];
    let Some(body) = body.strip_prefix('"') else {
        return Vec::new();
    };
    let closing = format!("\"{}", "#".repeat(hashes));
    let end = body.rfind(&closing).unwrap_or(body.len());
    body.as_bytes()[..end].to_vec()
}

/// Unescapes the body of a cooked literal that follows its opening quote, up to the closing quote.
fn cooked(rest: &str) -> Vec<u8> {
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            break;
        }
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = bytes.get(i + 1) else { break };
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'\\' | b'\'' | b'"' => out.push(e),
            b'x' => {
                let hex = rest
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                }
            }
            b'u' => {
                let close = rest[i..].find('}').map(|p| i + p);
                if let (Some(b'{'), Some(close)) = (bytes.get(i), close) {
                    let digits: String = rest[i + 1..close].chars().filter(|&c| c != '_').collect();
                    let ch = u32::from_str_radix(&digits, 16)
                        .ok()
                        .and_then(char::from_u32);
                    if let Some(ch) = ch {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    i = close + 1;
                }
            }
            b'\n' | b'\r' => {
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Lit {
        Lit::Str(v.to_string())
    }

    #[test]
    fn cooked_strings_are_unescaped() {
        assert_eq!(decode(r#""\x2essh""#), s(".ssh"));
        assert_eq!(decode(r#""a\nb\t\"\\""#), s("a\nb\t\"\\"));
        assert_eq!(decode(r#""\u{2e}aws\u{002F}x""#), s(".aws/x"));
        assert_eq!(decode("\"a\\\n    b\""), s("ab"));
        assert_eq!(decode(r#""x"suffix"#), s("x"));
    }

    #[test]
    fn raw_byte_and_c_strings_are_read() {
        assert_eq!(
            decode(r###"r#"/home/x/.ssh/id_rsa"#"###),
            s("/home/x/.ssh/id_rsa")
        );
        assert_eq!(decode(r#"r"a\x""#), s("a\\x"));
        assert_eq!(
            decode(r#"b".aws/credentials""#),
            Lit::Bytes(b".aws/credentials".to_vec())
        );
        assert_eq!(decode(r#"b"\xff\x00""#), Lit::Bytes(vec![0xff, 0]));
        assert_eq!(decode(r###"br#"raw"#"###), Lit::Bytes(b"raw".to_vec()));
        assert_eq!(decode(r#"c"\x2enetrc""#), s(".netrc"));
        assert_eq!(decode(r#"cr"x""#), s("x"));
    }

    #[test]
    fn numbers_and_chars_are_told_apart() {
        assert_eq!(decode("0x1e5"), Lit::Int);
        assert_eq!(decode("42u8"), Lit::Int);
        assert_eq!(decode("b'a'"), Lit::Int);
        assert_eq!(decode("1e5"), Lit::Other);
        assert_eq!(decode("1.5"), Lit::Other);
        assert_eq!(decode("'a'"), Lit::Other);
    }
}
