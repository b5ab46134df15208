//! The README holds to the tool: its example is what the command prints, and nothing in it or
//! in `docs/` points outside the repository.

mod common;

use std::path::Path;

use common::*;

/// The README's text.
fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The console block after `<!-- example -->`: its command's arguments and the lines shown.
fn example(readme: &str) -> (Vec<String>, Vec<String>) {
    let after = readme
        .split("<!-- example -->\n```console\n")
        .nth(1)
        .expect("README.md has a console block after <!-- example -->");
    let block = &after[..after.find("\n```").unwrap()];
    let mut lines = block.lines();
    let command = lines.next().unwrap();
    let args = command
        .strip_prefix("$ cargo trustcheck ")
        .expect("the example starts with `$ cargo trustcheck`")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    (args, lines.map(str::to_owned).collect())
}

/// A line with its day counts made neutral: "(109 days old)" depends on today's date.
fn dateless(line: &str) -> String {
    const DAYS: &str = " days old";
    let mut out = line.to_owned();
    let mut search = 0;
    while let Some(at) = out[search..].find(DAYS) {
        let end = search + at;
        let start = out[..end]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
        out.replace_range(start..end, "N");
        search = start + 1 + DAYS.len();
    }
    out
}

#[test]
fn the_readme_example_is_what_the_command_prints() {
    let (args, shown) = example(&readme());
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    command
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    let (code, stdout, stderr) = run_within(&mut command, std::time::Duration::from_secs(120));
    assert_eq!(code, 1, "{stderr}");
    let printed: Vec<String> = stdout.lines().map(dateless).collect();
    // Each run of shown lines between `...` appears in the output, in order.
    let mut from = 0;
    for chunk in shown.split(|line| line == "...") {
        if chunk.is_empty() {
            continue;
        }
        let chunk: Vec<String> = chunk.iter().map(|line| dateless(line)).collect();
        let found = (from..=printed.len().saturating_sub(chunk.len()))
            .find(|&at| printed[at..at + chunk.len()] == chunk[..])
            .unwrap_or_else(|| {
                panic!(
                    "README.md's example shows lines the command does not print (after line {from}):\n{}\n\n--- printed:\n{stdout}",
                    chunk.join("\n")
                )
            });
        from = found + chunk.len();
    }
}

#[test]
fn day_counts_are_made_neutral_and_nothing_else() {
    assert_eq!(
        dateless("database of 2026-08-20 (109 days old)"),
        "database of 2026-08-20 (N days old)"
    );
    assert_eq!(dateless("is 96 days old"), "is N days old");
    assert_eq!(dateless("6 denied, 253 warnings"), "6 denied, 253 warnings");
}

#[test]
fn nothing_in_the_readme_or_docs_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        documents.push(entry.unwrap().path());
    }
    for document in documents {
        let text = std::fs::read_to_string(&document).unwrap();
        for (number, line) in text.lines().enumerate() {
            assert!(
                !line.contains("../shared") && !line.contains("](../"),
                "{}:{}: points outside the repository: {line}",
                document.display(),
                number + 1
            );
        }
    }
}
