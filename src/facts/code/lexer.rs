//! Turning a source file into a flat list of tokens: through proc-macro2's lexer, or, when that
//! refuses the file, through a simple scanner of our own that still sees identifiers, `::`,
//! delimiters and literals.
//!
//! The flat form (groups become `Open`/`Close` markers that know each other) lets the scan walk
//! into every macro invocation and step over argument lists by index. Doc comments
//! (`#[doc = "…"]`) are dropped: prose about `~/.ssh` is not code reading it.

use std::collections::HashSet;
use std::fmt::Write;
use std::rc::Rc;
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use super::literal::{Lit, decode};

/// One token of the flat form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or keyword (a raw identifier without its `r#`), interned per file.
    Ident(Rc<str>),
    /// The path separator `::`.
    PathSep,
    /// Any other punctuation character, and whether the next character is joined to it.
    Punct(char, bool),
    /// A literal.
    Lit(Lit),
    /// An opening delimiter (`(`, `[`, `{`, or ` ` for an invisible group) and the index of its
    /// `Close` (the end of the list when the file never closes it).
    Open(char, usize),
    /// A closing delimiter.
    Close(char),
}

/// A token and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its line.
    pub line: u32,
}

/// A lexed file: its tokens, and whether our own scanner had to stand in for proc-macro2.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// The tokens, flat.
    pub tokens: Vec<Token>,
    /// True when proc-macro2 refused the file and the fallback scanner produced the tokens.
    pub fallback: bool,
}

/// Lexes a file with proc-macro2, falling back to [`lex_fallback`] when it fails.
pub fn lex(src: &str) -> Lexed {
    let parsed = TokenStream::from_str(src);
    let lexed = match parsed {
        Ok(stream) => Lexed {
            tokens: flatten(stream, src.len()),
            fallback: false,
        },
        Err(_) => Lexed {
            tokens: lex_fallback(src),
            fallback: true,
        },
    };
    // proc-macro2 keeps every parsed source in a thread-local map for span lookups and never frees
    // it; the lines are read, so drop it (a long run over many crates would otherwise grow forever).
    proc_macro2::extra::invalidate_current_thread_spans();
    lexed
}

/// Interns identifiers: a file names few distinct ones many times, so each is allocated once.
#[derive(Default)]
struct Interner(HashSet<Rc<str>>);

impl Interner {
    fn get(&mut self, word: &str) -> Rc<str> {
        if let Some(hit) = self.0.get(word) {
            return Rc::clone(hit);
        }
        let new: Rc<str> = Rc::from(word);
        self.0.insert(Rc::clone(&new));
        new
    }
}

fn line_of(span: proc_macro2::Span) -> u32 {
    u32::try_from(span.start().line).unwrap_or(u32::MAX)
}

/// One open level of the flattening: its trees in reverse, and for a group the index of its
/// `Open`, its closing char and line.
type Level = (Vec<TokenTree>, Option<(usize, char, u32)>);

/// Flattens a token stream without recursion (a file of deeply nested brackets cannot overflow
/// the stack). Trees are taken by value, so a group's stream is unshared and is not cloned.
fn flatten(stream: TokenStream, size_hint: usize) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(size_hint / 4);
    let mut interner = Interner::default();
    let mut text = String::new(); // reused: printing a token allocates nothing
    // Each level: its trees in reverse (popped from the end), and the index of its Open, its
    // close char and the close's line.
    let mut stack: Vec<Level> = vec![(reversed(stream), None)];
    while let Some((trees, open)) = stack.last_mut() {
        let Some(tree) = trees.pop() else {
            if let Some((open_at, close, line)) = *open {
                let here = out.len();
                if let Some(Token {
                    tok: Tok::Open(_, end),
                    ..
                }) = out.get_mut(open_at)
                {
                    *end = here;
                }
                out.push(Token {
                    tok: Tok::Close(close),
                    line,
                });
            }
            stack.pop();
            continue;
        };
        match tree {
            TokenTree::Ident(ident) => {
                text.clear();
                let _ = write!(text, "{ident}");
                let word = interner.get(text.strip_prefix("r#").unwrap_or(&text));
                out.push(Token {
                    tok: Tok::Ident(word),
                    line: line_of(ident.span()),
                });
            }
            TokenTree::Literal(lit) => {
                text.clear();
                let _ = write!(text, "{lit}");
                let tok = Tok::Lit(decode(&text));
                out.push(Token {
                    tok,
                    line: line_of(lit.span()),
                });
            }
            TokenTree::Punct(p) => {
                if p.as_char() == '#' && skip_doc_attribute(trees) {
                    continue;
                }
                let joint = p.spacing() == Spacing::Joint;
                if p.as_char() == ':'
                    && let Some(last) = out.last_mut()
                    && last.tok == Tok::Punct(':', true)
                {
                    last.tok = Tok::PathSep;
                    continue;
                }
                // Punctuation never is evidence: its line is the previous token's (no span lookup).
                let line = out.last().map_or(1, |t| t.line);
                out.push(Token {
                    tok: Tok::Punct(p.as_char(), joint),
                    line,
                });
            }
            TokenTree::Group(g) => {
                let (o, c) = match g.delimiter() {
                    Delimiter::Parenthesis => ('(', ')'),
                    Delimiter::Bracket => ('[', ']'),
                    Delimiter::Brace => ('{', '}'),
                    Delimiter::None => (' ', ' '),
                };
                let open_at = out.len();
                out.push(Token {
                    tok: Tok::Open(o, open_at),
                    line: line_of(g.span_open()),
                });
                let close_line = line_of(g.span_open());
                let inner = g.stream();
                drop(g);
                stack.push((reversed(inner), Some((open_at, c, close_line))));
            }
        }
    }
    out
}

fn reversed(stream: TokenStream) -> Vec<TokenTree> {
    let mut trees: Vec<TokenTree> = stream.into_iter().collect();
    trees.reverse();
    trees
}

/// After a `#`, with the following trees reversed in `rest`: drops a `[doc = …]` or `![doc = …]`
/// attribute body and returns true, else leaves `rest` alone.
fn skip_doc_attribute(rest: &mut Vec<TokenTree>) -> bool {
    let n = rest.len();
    let bang = matches!(rest.last(), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    let at = if bang {
        n.wrapping_sub(2)
    } else {
        n.wrapping_sub(1)
    };
    let Some(TokenTree::Group(g)) = rest.get(at) else {
        return false;
    };
    if g.delimiter() != Delimiter::Bracket {
        return false;
    }
    let mut inner = g.stream().into_iter();
    let is_doc = matches!(inner.next(), Some(TokenTree::Ident(i)) if i == "doc")
        && matches!(inner.next(), Some(TokenTree::Punct(p)) if p.as_char() == '=');
    if is_doc {
        rest.truncate(at);
    }
    is_doc
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A forgiving scanner for files proc-macro2 refuses (unbalanced delimiters, odd literals):
/// identifiers, `::`, punctuation, delimiters and literals, comments skipped. An unmatched closing
/// delimiter is dropped; an unclosed opening one extends to the end of the file.
pub fn lex_fallback(src: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(src.len() / 4);
    let mut interner = Interner::default();
    let mut opens: Vec<(usize, char)> = Vec::new();
    let bytes = src.as_bytes();
    let mut line: u32 = 1;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start_line = line;
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if bytes[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            b'"' => {
                let end = cooked_end(bytes, i + 1);
                line += count_newlines(&bytes[i..end]);
                let end = suffix_end(src, end);
                out.push(Token {
                    tok: Tok::Lit(decode(&src[i..end])),
                    line: start_line,
                });
                i = end;
            }
            b'\'' => {
                let rest = &src[i + 1..];
                let mut chars = rest.chars();
                let first = chars.next();
                let is_char = first == Some('\\') || chars.next() == Some('\'');
                if is_char {
                    let end = char_end(bytes, i + 1);
                    out.push(Token {
                        tok: Tok::Lit(Lit::Other),
                        line,
                    });
                    i = end;
                } else {
                    out.push(Token {
                        tok: Tok::Punct('\'', true),
                        line,
                    });
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                opens.push((out.len(), c as char));
                out.push(Token {
                    tok: Tok::Open(c as char, usize::MAX),
                    line,
                });
                i += 1;
            }
            b')' | b']' | b'}' => {
                let want = match c {
                    b')' => '(',
                    b']' => '[',
                    _ => '{',
                };
                if opens.last().is_some_and(|&(_, o)| o == want)
                    && let Some((at, _)) = opens.pop()
                {
                    let here = out.len();
                    if let Some(Token {
                        tok: Tok::Open(_, end),
                        ..
                    }) = out.get_mut(at)
                    {
                        *end = here;
                    }
                    out.push(Token {
                        tok: Tok::Close(c as char),
                        line,
                    });
                }
                i += 1;
            }
            b'0'..=b'9' => {
                let mut end = i;
                while end < bytes.len() {
                    let d = bytes[end];
                    let decimal_point = d == b'.'
                        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
                        && !src[i..end].contains('.');
                    if d.is_ascii_alphanumeric() || d == b'_' || decimal_point {
                        end += 1;
                    } else {
                        break;
                    }
                }
                out.push(Token {
                    tok: Tok::Lit(decode(&src[i..end])),
                    line,
                });
                i = end;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                out.push(Token {
                    tok: Tok::PathSep,
                    line,
                });
                i += 2;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                if is_ident_start(ch) {
                    i = ident_or_prefixed_literal(src, i, line, &mut out, &mut line, &mut interner);
                } else if ch.is_ascii_punctuation() {
                    let joint = bytes.get(i + 1).is_some_and(|n| {
                        n.is_ascii_punctuation()
                            && !matches!(n, b'(' | b')' | b'[' | b']' | b'{' | b'}')
                    });
                    out.push(Token {
                        tok: Tok::Punct(ch, joint),
                        line,
                    });
                    i += 1;
                } else {
                    i += ch.len_utf8();
                }
            }
        }
    }
    let len = out.len();
    for (at, _) in opens {
        if let Some(Token {
            tok: Tok::Open(_, end),
            ..
        }) = out.get_mut(at)
        {
            *end = len;
        }
    }
    out
}

/// Scans an identifier at `i`; when it is the prefix of a raw, byte or C string (`r"`, `br#"`,
/// `b'`, `c"` …) or a raw identifier (`r#x`), scans that instead. Returns the next position.
fn ident_or_prefixed_literal(
    src: &str,
    i: usize,
    start_line: u32,
    out: &mut Vec<Token>,
    line: &mut u32,
    interner: &mut Interner,
) -> usize {
    let bytes = src.as_bytes();
    let end = src[i..]
        .char_indices()
        .find(|&(_, c)| !is_ident_continue(c))
        .map_or(src.len(), |(p, _)| i + p);
    let word = &src[i..end];
    let next = bytes.get(end).copied();
    let raw_prefix = matches!(word, "r" | "br" | "cr");
    if raw_prefix
        && next == Some(b'#')
        && bytes.get(end + 1).is_some_and(|&b| b != b'"' && b != b'#')
    {
        // A raw identifier.
        let id_end = src[end + 1..]
            .char_indices()
            .find(|&(_, c)| !is_ident_continue(c))
            .map_or(src.len(), |(p, _)| end + 1 + p);
        out.push(Token {
            tok: Tok::Ident(interner.get(&src[end + 1..id_end])),
            line: start_line,
        });
        return id_end;
    }
    if raw_prefix && matches!(next, Some(b'"') | Some(b'#')) {
        let hashes = bytes[end..].iter().take_while(|&&b| b == b'#').count();
        let body = end + hashes + 1;
        let closing = format!("\"{}", "#".repeat(hashes));
        let close = src
            .get(body..)
            .and_then(|s| s.find(&closing))
            .map_or(src.len(), |p| body + p);
        let lit_end = (close + closing.len()).min(src.len());
        *line += count_newlines(&bytes[i..lit_end]);
        let lit_end = suffix_end(src, lit_end);
        out.push(Token {
            tok: Tok::Lit(decode(&src[i..lit_end])),
            line: start_line,
        });
        return lit_end;
    }
    if matches!(word, "b" | "c") && next == Some(b'"') {
        let lit_end = cooked_end(bytes, end + 1);
        *line += count_newlines(&bytes[i..lit_end]);
        let lit_end = suffix_end(src, lit_end);
        out.push(Token {
            tok: Tok::Lit(decode(&src[i..lit_end])),
            line: start_line,
        });
        return lit_end;
    }
    if word == "b" && next == Some(b'\'') {
        out.push(Token {
            tok: Tok::Lit(Lit::Int),
            line: start_line,
        });
        return char_end(bytes, end + 1);
    }
    out.push(Token {
        tok: Tok::Ident(interner.get(word)),
        line: start_line,
    });
    end
}

/// The position after the closing quote of a cooked string whose body starts at `i`.
fn cooked_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The position after the closing quote of a char literal whose body starts at `i`.
fn char_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of a literal's suffix (`"…"suffix`), starting at `i`.
fn suffix_end(src: &str, i: usize) -> usize {
    let i = i.min(src.len());
    src.get(i..)
        .and_then(|s| {
            s.char_indices()
                .find(|&(_, c)| !is_ident_continue(c))
                .map(|(p, _)| i + p)
        })
        .unwrap_or(src.len())
}

fn count_newlines(bytes: &[u8]) -> u32 {
    let n = bytes.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Ident(s) => Some(s.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn proc_macro2_tokens_are_flattened_with_lines() {
        let l =
            lex("/// doc about ~/.ssh\nfn f() {\n    std::net::TcpStream::connect(\"x\");\n}\n");
        assert!(!l.fallback);
        assert_eq!(
            idents(&l.tokens),
            ["fn", "f", "std", "net", "TcpStream", "connect"]
        );
        let connect = l
            .tokens
            .iter()
            .find(|t| t.tok == Tok::Ident("connect".into()));
        assert_eq!(connect.map(|t| t.line), Some(3));
        assert!(l.tokens.iter().any(|t| t.tok == Tok::PathSep));
        assert!(
            !l.tokens
                .iter()
                .any(|t| matches!(&t.tok, Tok::Lit(Lit::Str(s)) if s.contains("ssh")))
        );
        // Every Open knows its Close.
        for (i, t) in l.tokens.iter().enumerate() {
            if let Tok::Open(_, end) = t.tok {
                assert!(matches!(l.tokens[end].tok, Tok::Close(_)), "open at {i}");
            }
        }
    }

    #[test]
    fn unbalanced_file_falls_back() {
        let src =
            "fn f() {\n  let s = r#\"a\"b\"#; // }\n  ::std::process::Command::new(b\"sh\");\n";
        let l = lex(src);
        assert!(l.fallback);
        assert_eq!(
            idents(&l.tokens),
            ["fn", "f", "let", "s", "std", "process", "Command", "new"]
        );
        assert!(
            l.tokens
                .iter()
                .any(|t| t.tok == Tok::Lit(Lit::Str("a\"b".into())))
        );
        let sh = l
            .tokens
            .iter()
            .find(|t| t.tok == Tok::Lit(Lit::Bytes(b"sh".to_vec())));
        assert_eq!(sh.map(|t| t.line), Some(3));
        assert!(matches!(l.tokens[4].tok, Tok::Open('{', end) if end == l.tokens.len()));
    }

    #[test]
    fn fallback_tells_lifetimes_from_chars() {
        let toks =
            lex_fallback("fn f<'a>(x: &'a str) -> char { 'x' } /* a /* nested */ c */ r#type");
        assert_eq!(
            idents(&toks),
            ["fn", "f", "a", "x", "a", "str", "char", "type"]
        );
    }
}
