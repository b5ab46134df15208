//! Untrusted text (advisory titles, owner names, crate metadata) made safe for where it goes:
//! a terminal, Markdown, or a single line.

/// Removes control characters (escape sequences, carriage returns, bidirectional overrides)
/// so that text from outside cannot move the cursor, recolour or rewrite a terminal.
/// Newlines and tabs become spaces.
pub fn sanitize_terminal(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\t' => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escapes text for Markdown (GitHub-flavoured), inline and inside table cells: control
/// characters are removed, markup characters are backslash-escaped, HTML is neutralised, and
/// `@` cannot start a mention.
pub fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in sanitize_terminal(text).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '@' => escaped.push_str("@\u{200b}"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Renders text as a Markdown code span, safe inside table cells: the fence is longer than any
/// run of backticks inside, and `|` is escaped as GitHub tables require.
pub fn markdown_code(text: &str) -> String {
    let clean = sanitize_terminal(text).replace('|', "\\|");
    let longest_run = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// Names joined by commas, at most `shown` of them, then how many more: `a, b and 3 more`.
pub fn name_list<S: AsRef<str>>(names: &[S], shown: usize) -> String {
    let mut list = names
        .iter()
        .take(shown)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    let more = names.len().saturating_sub(shown);
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    list
}

/// `count` and `noun`, the noun in the plural unless there is exactly one: `1 request`, `2 requests`.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Words said of one thing and of many that share them: a report that groups packages says
/// "their index entries could not be fetched" where one package's finding says "its index
/// entry could not be fetched".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phrase {
    /// Said of one: "its index entry could not be fetched".
    pub one: String,
    /// Said of many: "their index entries could not be fetched".
    pub many: String,
}

impl Phrase {
    /// A phrase in its words for one and for many.
    pub fn new(one: impl Into<String>, many: impl Into<String>) -> Phrase {
        Phrase {
            one: one.into(),
            many: many.into(),
        }
    }
}

/// Words that read the same of one and of many ("offline").
impl From<String> for Phrase {
    fn from(text: String) -> Phrase {
        Phrase {
            many: text.clone(),
            one: text,
        }
    }
}

impl From<&str> for Phrase {
    fn from(text: &str) -> Phrase {
        Phrase::from(text.to_owned())
    }
}

impl std::fmt::Display for Phrase {
    /// The words said of one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_bidi_overrides() {
        assert_eq!(
            sanitize_terminal("evil\u{1b}[31mred\u{7}\r\nnext"),
            "evil[31mred next"
        );
        assert_eq!(sanitize_terminal("a\u{202e}b"), "ab");
    }

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(escape_markdown("a|b"), "a\\|b");
        assert_eq!(escape_markdown("<script>"), "&lt;script&gt;");
        assert_eq!(escape_markdown("[x](http://e)"), "\\[x\\]\\(http://e\\)");
        assert_eq!(escape_markdown("plain words 1.2.3"), "plain words 1.2.3");
        assert_eq!(escape_markdown("@octocat"), "@\u{200b}octocat");
    }

    #[test]
    fn long_name_lists_are_shortened() {
        let names: Vec<String> = (0..11).map(|n| format!("c{n:02}")).collect();
        assert_eq!(
            name_list(&names, 8),
            "c00, c01, c02, c03, c04, c05, c06, c07 and 3 more"
        );
        assert_eq!(name_list(&["a", "b"], 8), "a, b");
    }

    #[test]
    fn counts_take_the_plural_unless_there_is_exactly_one() {
        assert_eq!(counted(0, "request"), "0 requests");
        assert_eq!(counted(1, "request"), "1 request");
        assert_eq!(counted(476, "request"), "476 requests");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(markdown_code("serde"), "`serde`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("a|b"), "`a\\|b`");
    }
}
