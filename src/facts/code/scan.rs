//! The token scan of a role: every path (resolved through the role's `use` table), identifier,
//! literal and group is matched against the rules; the hits become evidence per capability, and
//! the combinations (download-and-execute, exfiltration) are derived last.
//!
//! Paths inside `use` declarations are weaker evidence than paths in code: they count only when
//! the capability shows nowhere else in the role (an imported trait such as `CommandExt` is used
//! only through its methods).

use std::collections::BTreeMap;

use super::lexer::{Tok, Token};
use super::literal::Lit;
use super::modules::RoleFile;
use super::paths::Aliases;
use super::rules::{self, path_starts_with};
use super::shapes::{assemble, outside_out_dir, short, short_bytes, stmt_end};
use super::{Capability, Evidence, MAX_EVIDENCE, Role};

/// One hit before the evidence is chosen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    file_index: usize,
    line: u32,
    shows: String,
}

/// Hits per capability: code first, `use` declarations as a fallback.
#[derive(Debug, Default)]
struct Hits {
    code: BTreeMap<Capability, Vec<Hit>>,
    uses: BTreeMap<Capability, Vec<Hit>>,
    /// String literals that name a secret variable (`"TOKEN"`): a secret read together with
    /// an iteration of every variable.
    secret_names: Vec<Hit>,
}

/// Scans the files of one role and returns its capabilities with evidence.
pub fn scan_role(role: Role, files: &[RoleFile]) -> BTreeMap<Capability, Vec<Evidence>> {
    let mut aliases = Aliases::default();
    for f in files {
        aliases.add_file(&f.lexed.tokens);
    }
    let mut hits = Hits::default();
    for (file_index, f) in files.iter().enumerate() {
        let mut scan = FileScan {
            role,
            file_index,
            toks: &f.lexed.tokens,
            aliases: &aliases,
            hits: &mut hits,
            in_use: false,
        };
        scan.run(&f.skip);
    }
    let mut chosen: BTreeMap<Capability, Vec<Hit>> = BTreeMap::new();
    let caps: std::collections::BTreeSet<Capability> =
        hits.code.keys().chain(hits.uses.keys()).copied().collect();
    for cap in caps {
        let mut list = hits
            .code
            .remove(&cap)
            .filter(|l| !l.is_empty())
            .or_else(|| hits.uses.remove(&cap))
            .unwrap_or_default();
        list.sort();
        list.dedup();
        if !list.is_empty() {
            chosen.insert(cap, list);
        }
    }
    let network = chosen.get(&Capability::Network).cloned();
    if let (Some(net), Some(exe)) = (&network, chosen.get(&Capability::Execute)) {
        chosen.insert(Capability::DownloadExecute, combine(net, exe));
    }
    if let Some(all) = chosen.get(&Capability::ReadsAllEnv).cloned()
        && !hits.secret_names.is_empty()
    {
        hits.secret_names.sort();
        let named = combine(&all, &hits.secret_names);
        let list = chosen.entry(Capability::SecretEnv).or_default();
        list.extend(named);
        list.sort();
        list.dedup();
    }
    let mut secret: Vec<Hit> = [
        Capability::Credentials,
        Capability::SecretEnv,
        Capability::ReadsAllEnv,
    ]
    .iter()
    .filter_map(|c| chosen.get(c))
    .flatten()
    .cloned()
    .collect();
    secret.sort();
    secret.dedup();
    if let (Some(net), false) = (&network, secret.is_empty()) {
        chosen.insert(Capability::Exfiltration, combine(&secret, net));
    }
    let files_of = |h: Hit| Evidence {
        file: files[h.file_index].path.clone(),
        line: h.line,
        shows: h.shows,
    };
    chosen
        .into_iter()
        .map(|(cap, list)| {
            (
                cap,
                list.into_iter().take(MAX_EVIDENCE).map(files_of).collect(),
            )
        })
        .collect()
}

/// The evidence of a combination: the first of each part, then the next ones alternately, in
/// order, at most [`MAX_EVIDENCE`].
fn combine(a: &[Hit], b: &[Hit]) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    for k in 0..MAX_EVIDENCE {
        for part in [a, b] {
            if let Some(h) = part.get(k)
                && out.len() < MAX_EVIDENCE
                && !out.contains(h)
            {
                out.push(h.clone());
            }
        }
    }
    out.sort();
    out
}

struct FileScan<'a> {
    role: Role,
    file_index: usize,
    toks: &'a [Token],
    aliases: &'a Aliases,
    hits: &'a mut Hits,
    in_use: bool,
}

impl<'a> FileScan<'a> {
    fn hit(&mut self, cap: Capability, line: u32, shows: String) {
        let map = if self.in_use {
            &mut self.hits.uses
        } else {
            &mut self.hits.code
        };
        let list = map.entry(cap).or_default();
        // Enough to choose the earliest later: the scan runs in order within a file.
        if list
            .iter()
            .filter(|h| h.file_index == self.file_index)
            .count()
            < MAX_EVIDENCE * 2
        {
            list.push(Hit {
                file_index: self.file_index,
                line,
                shows,
            });
        }
    }

    fn tok(&self, i: usize) -> Option<&'a Tok> {
        tok_at(self.toks, i)
    }

    fn ident(&self, i: usize) -> Option<&'a str> {
        ident_at(self.toks, i)
    }

    fn str_lit(&self, i: usize) -> Option<String> {
        match self.tok(i) {
            Some(Tok::Lit(l)) => l.text().map(|t| t.into_owned()),
            _ => None,
        }
    }

    fn run(&mut self, skip: &[(usize, usize)]) {
        let toks = self.toks;
        let mut skip = skip.iter().peekable();
        // Per open group: its end, where the current statement in it started, whether a brace.
        let mut groups: Vec<(usize, usize, bool)> = vec![(toks.len(), 0, true)];
        let mut use_end = 0;
        let mut i = 0;
        while i < toks.len() {
            if let Some(&&(from, to)) = skip.peek()
                && i >= from
            {
                skip.next();
                if i == from {
                    i = to + 1;
                    continue;
                }
            }
            self.in_use = i < use_end;
            let line = toks[i].line;
            let (group_end, _, _) = groups.last().copied().unwrap_or((toks.len(), 0, true));
            match &toks[i].tok {
                Tok::Open(delim, end) => {
                    let stmt = groups
                        .iter()
                        .rev()
                        .find(|g| g.2)
                        .map_or((toks.len(), 0), |g| (g.0, g.1));
                    self.group(i, *end, stmt);
                    groups.push((*end, i + 1, *delim == '{'));
                }
                Tok::Close(delim) => {
                    groups.pop();
                    let next_starts = match tok_at(toks, i + 1) {
                        None | Some(Tok::Punct('#', _)) => true,
                        Some(Tok::Ident(w)) => !matches!(&**w, "else" | "as"),
                        _ => false,
                    };
                    if let Some(top) = groups.last_mut()
                        && *delim == '}'
                        && next_starts
                    {
                        top.1 = i + 1;
                    }
                }
                Tok::Punct(';', _) => {
                    if let Some(top) = groups.last_mut() {
                        top.1 = i + 1;
                    }
                }
                Tok::Lit(lit) => self.literal(lit, line),
                Tok::Ident(word) => {
                    if &**word == "use" {
                        use_end = stmt_end(toks, i, group_end);
                        self.in_use = true;
                    }
                    let after_dot = i > 0 && matches!(toks[i - 1].tok, Tok::Punct('.', _));
                    let continues = i > 0 && toks[i - 1].tok == Tok::PathSep;
                    if !continues {
                        i = self.path(i, after_dot, group_end);
                        continue;
                    }
                }
                Tok::PathSep => {
                    let leading = i == 0
                        || !matches!(
                            toks[i - 1].tok,
                            Tok::Ident(_) | Tok::Close(_) | Tok::Punct('>', _)
                        );
                    if leading && self.ident(i + 1).is_some() {
                        i = self.path(i + 1, false, group_end);
                        continue;
                    }
                }
                Tok::Punct(..) => {}
            }
            i += 1;
        }
    }

    /// A string or byte string literal: credential stores, encoded payloads.
    fn literal(&mut self, lit: &Lit, line: u32) {
        let (text, why) = match lit {
            Lit::Str(s) => (
                std::borrow::Cow::Borrowed(s.as_str()),
                rules::obfuscated_text(s),
            ),
            Lit::Bytes(b) => (String::from_utf8_lossy(b), rules::obfuscated_bytes(b)),
            Lit::Int | Lit::Other => return,
        };
        if rules::credential_in(&text).is_some() {
            self.hit(Capability::Credentials, line, format!("{:?}", short(&text)));
        }
        if rules::is_secret_env_name(&text) && self.hits.secret_names.len() < MAX_EVIDENCE {
            self.hits.secret_names.push(Hit {
                file_index: self.file_index,
                line,
                shows: format!("{:?}", short(&text)),
            });
        }
        if let Some(why) = why {
            let shown = match lit {
                Lit::Bytes(b) => short_bytes(b),
                _ => short(&text),
            };
            self.hit(Capability::Obfuscation, line, format!("{why}: {shown}"));
        }
    }

    /// A group: literals assembled from its direct children, and integer tables decoded to text.
    fn group(&mut self, open: usize, end: usize, (stmt_limit, stmt_start): (usize, usize)) {
        let line = self.toks[open].line;
        // Per comma-separated argument, its literal text; allocated at the first literal only.
        let mut literals: Vec<Option<String>> = Vec::new();
        let mut commas = 0usize;
        let mut ints = 0usize;
        let mut lit_count = 0usize;
        let mut j = open + 1;
        while j < end.min(self.toks.len()) {
            match &self.toks[j].tok {
                Tok::Open(_, e) => {
                    j = *e;
                }
                Tok::Punct(',', _) => commas += 1,
                Tok::Lit(Lit::Int) => ints += 1,
                Tok::Lit(l) => {
                    if let Some(t) = l.text() {
                        lit_count += 1;
                        literals.resize(commas + 1, None);
                        if let Some(slot) = literals.last_mut() {
                            slot.get_or_insert_with(String::new).push_str(&t);
                        }
                    }
                }
                _ => {}
            }
            j += 1;
        }
        literals.resize(commas + 1, None);
        if lit_count >= 2 {
            for assembled in assemble(&literals) {
                if rules::credential_in(&assembled).is_some() {
                    self.hit(
                        Capability::Credentials,
                        line,
                        format!("{:?}", short(&assembled)),
                    );
                    break;
                }
            }
        }
        let xor_map = open >= 2
            && self.ident(open - 1) == Some("map")
            && matches!(self.tok(open - 2), Some(Tok::Punct('.', _)))
            && (open + 1..end).any(|k| matches!(self.tok(k), Some(Tok::Punct('^', false))));
        if ints < rules::MIN_TABLE && !xor_map {
            return;
        }
        let stmt_to = stmt_end(self.toks, stmt_start, stmt_limit);
        if !(stmt_start..stmt_to).any(|k| self.is_decode_call(k)) {
            return;
        }
        if ints >= rules::MIN_TABLE {
            let shown = format!("table of {ints} integers decoded to text");
            self.hit(Capability::Obfuscation, line, shown);
        }
        if xor_map {
            let shown = "xor-decoded bytes turned into text".to_string();
            self.hit(Capability::Obfuscation, line, shown);
        }
    }

    fn is_decode_call(&self, k: usize) -> bool {
        match self.ident(k) {
            Some(w) if rules::DECODE_CALLS.contains(&w) => true,
            Some("char") => {
                self.tok(k + 1) == Some(&Tok::PathSep) && self.ident(k + 2) == Some("from")
            }
            _ => false,
        }
    }

    /// A path starting at `i`: collects its segments, matches them; returns the index after it.
    fn path(&mut self, i: usize, method: bool, group_end: usize) -> usize {
        let toks = self.toks;
        let mut buf: [&'a str; 16] = [""; 16];
        let mut n = 0;
        let mut j = i;
        while let Some(Tok::Ident(s)) = tok_at(toks, j) {
            if n < buf.len() {
                buf[n] = s;
                n += 1;
            }
            if self.tok(j + 1) == Some(&Tok::PathSep) && self.ident(j + 2).is_some() {
                j += 2;
            } else {
                break;
            }
        }
        let segs = &buf[..n];
        let next = j + 1;
        let line = toks[i].line;
        let args = match self.tok(next) {
            Some(Tok::Open('(', e)) => Some((next, *e)),
            _ => None,
        };
        self.idents(segs, method, line, next, args);
        if method {
            return next;
        }
        if self.tok(next) == Some(&Tok::Punct('!', false))
            || self.tok(next) == Some(&Tok::Punct('!', true))
        {
            if segs.len() == 1 && rules::ENV_MACROS.contains(&segs[0]) {
                self.env_read(&format!("{}!", segs[0]), line, next + 1);
            }
            return next;
        }
        for cand in self.aliases.resolve(segs) {
            self.resolved(&cand, line, next, args, group_end);
        }
        next
    }

    /// Identifier rules and the TLS shapes that are not plain paths.
    fn idents(
        &mut self,
        segs: &[&str],
        method: bool,
        line: u32,
        next: usize,
        args: Option<(usize, usize)>,
    ) {
        for s in segs {
            if let Some(cap) = rules::ident_rule(s) {
                let shown = if method {
                    format!(".{s}")
                } else {
                    segs.join("::")
                };
                self.hit(cap, line, shown);
            }
        }
        let last = segs.last().copied().unwrap_or("");
        let tls = match last {
            "NONE" => segs.len() >= 2 && segs[segs.len() - 2] == "SslVerifyMode",
            "ServerCertVerifier" => self.ident(next) == Some("for"),
            "dangerous" => method && args.is_some(),
            "ssl_verify_peer" | "ssl_verify_host" => {
                method && args.is_some_and(|(o, _)| self.ident(o + 1) == Some("false"))
            }
            "set_verify" => {
                args.is_some_and(|(o, e)| (o..e).any(|k| self.ident(k) == Some("NONE")))
            }
            _ => false,
        };
        if tls {
            let shown = if last == "ServerCertVerifier" {
                "impl ServerCertVerifier for".to_string()
            } else {
                segs.join("::")
            };
            self.hit(Capability::TlsUnverified, line, shown);
        }
    }

    /// A resolved path: the path rules, process spawning, environment reads, filesystem writes.
    fn resolved(
        &mut self,
        cand: &[String],
        line: u32,
        next: usize,
        args: Option<(usize, usize)>,
        group_end: usize,
    ) {
        let shown = cand.join("::");
        let first_arg = args.and_then(|(o, _)| self.str_lit(o + 1));
        for (pattern, cap) in rules::PATH_RULES {
            if !path_starts_with(cand, pattern) {
                continue;
            }
            let is_spawn = *cap == Capability::Execute && cand.last().is_some_and(|s| s == "new");
            match (&first_arg, is_spawn) {
                (Some(program), true) => {
                    let call = format!("{shown}({:?})", short(program));
                    let name = rules::program_name(program);
                    let script_downloads = || {
                        let end = stmt_end(self.toks, next, group_end);
                        (next..end).any(|k| {
                            self.str_lit(k).is_some_and(|t| {
                                let t = t.to_ascii_lowercase();
                                rules::DOWNLOAD_WORDS
                                    .iter()
                                    .any(|w| t.contains(w) || t.starts_with(w.trim_end()))
                            })
                        })
                    };
                    if rules::DOWNLOAD_PROGRAMS.contains(&name.as_str())
                        || (rules::SHELLS.contains(&name.as_str()) && script_downloads())
                    {
                        self.hit(Capability::Network, line, call.clone());
                    }
                    self.hit(*cap, line, call);
                }
                _ => self.hit(*cap, line, shown.clone()),
            }
            break;
        }
        if rules::ENV_READS
            .iter()
            .any(|p| path_starts_with(cand, p) && cand.len() == rules::segment_count(p))
            && let Some((open, _)) = args
        {
            self.env_read(&shown, line, open);
        }
        if self.role == Role::Build {
            self.fs_write(cand, &shown, line, next, args, group_end);
        }
    }

    /// An environment read whose argument group opens at `open`: secret names count.
    fn env_read(&mut self, shown: &str, line: u32, open: usize) {
        if !matches!(self.tok(open), Some(Tok::Open(..))) {
            return;
        }
        if let Some(name) = self.str_lit(open + 1)
            && rules::is_secret_env(&name)
        {
            self.hit(
                Capability::SecretEnv,
                line,
                format!("{shown}({:?})", short(&name)),
            );
        }
    }

    /// The build-script write heuristic: a write whose arguments name a place outside `OUT_DIR`.
    fn fs_write(
        &mut self,
        cand: &[String],
        shown: &str,
        line: u32,
        next: usize,
        args: Option<(usize, usize)>,
        group_end: usize,
    ) {
        let Some((_, needs_mode)) = rules::FS_WRITES
            .iter()
            .find(|(p, _)| path_starts_with(cand, p))
        else {
            return;
        };
        let range = if *needs_mode {
            let end = stmt_end(self.toks, next, group_end);
            let writes = (next..end).any(|k| {
                matches!(
                    self.ident(k),
                    Some("write" | "create" | "append" | "create_new")
                ) && matches!(self.tok(k + 2), Some(Tok::Ident(b)) if &**b == "true")
            });
            if !writes {
                return;
            }
            next..end
        } else {
            match args {
                Some((o, e)) => o..e,
                None => return,
            }
        };
        let mut trigger = None;
        for k in range {
            let word = match self.tok(k) {
                Some(Tok::Ident(s)) => s.to_string(),
                Some(Tok::Lit(l)) => match l.text() {
                    Some(t) => t.into_owned(),
                    None => continue,
                },
                _ => continue,
            };
            if word.to_ascii_lowercase().contains("out_dir") {
                return;
            }
            if trigger.is_none() && outside_out_dir(&word, matches!(self.tok(k), Some(Tok::Lit(_))))
            {
                trigger = Some(word);
            }
        }
        if let Some(t) = trigger {
            self.hit(
                Capability::WritesOutsideOutDir,
                line,
                format!("{shown}(… {:?} …)", short(&t)),
            );
        }
    }
}

fn tok_at(toks: &[Token], i: usize) -> Option<&Tok> {
    toks.get(i).map(|t| &t.tok)
}

fn ident_at(toks: &[Token], i: usize) -> Option<&str> {
    match tok_at(toks, i) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}
