//! The directory tree cargo has on disk after unpacking a `.crate`, replayed in memory: the
//! crate directory (`NAME-VERSION`, the root of this tree, key `""`) inside cargo's registry
//! source directory (`R`, whose other contents are unknown here).
//!
//! Paths are resolved as the operating system resolves them (Unix): symbolic links are
//! followed (at most 40 of them), `..` goes up from where a link led. Whatever leads out of the
//! crate directory (into `R`, to another crate, to an absolute path) cannot be known from the
//! archive: `Stop::Outside`. Whatever the operating system would refuse (a file where a
//! directory is needed, a missing directory, a loop of links) is `Stop::Fails`.

use std::collections::{BTreeMap, VecDeque};

/// What one path of the tree is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// A directory.
    Dir,
    /// A regular file: the index of its content in `Tree::blobs` (hard links share one).
    File(usize),
    /// A symbolic link, with its target as written.
    Symlink(String),
}

/// The content of a regular file.
#[derive(Clone, Debug)]
pub(super) struct Blob {
    /// Its size.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
    /// Its first `super::MAX_HELD` bytes.
    pub bytes: Vec<u8>,
}

/// Why a path could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// It leads out of the crate directory: what is there is not known.
    Outside(String),
    /// The operating system would fail (the sentence says why).
    Fails(String),
}

/// Where a walk starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Start {
    /// Cargo's registry source directory, the parent of the crate directory.
    Registry,
    /// The crate directory.
    Crate,
}

/// What a resolved path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Resolved {
    /// Its real path inside the crate directory (no link on it but maybe the last component).
    pub key: String,
    /// What is there, if anything (its parent directory exists).
    pub node: Option<Node>,
}

/// The most symbolic links followed in one resolution (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The tree.
#[derive(Clone, Debug)]
pub(super) struct Tree {
    /// The name of the crate directory, `NAME-VERSION`.
    pub prefix: String,
    /// Every path of the crate directory (`""` is the directory itself).
    pub nodes: BTreeMap<String, Node>,
    /// The contents of the regular files.
    pub blobs: Vec<Blob>,
}

impl Tree {
    /// The crate directory cargo creates before unpacking, empty.
    pub fn new(prefix: &str) -> Tree {
        Tree {
            prefix: prefix.to_owned(),
            nodes: BTreeMap::from([(String::new(), Node::Dir)]),
            blobs: Vec::new(),
        }
    }

    /// Resolves `path` from `start`, following a link in the last component when `follow_last`;
    /// with `create`, a missing directory named by `path` itself (not by a link target) is
    /// created, as `create_dir_all` does.
    pub fn walk(
        &self,
        start: Start,
        path: &str,
        follow_last: bool,
        mut create: Option<&mut Vec<String>>,
    ) -> Result<Resolved, Stop> {
        let mut at: Option<Vec<String>> = (start == Start::Crate).then(Vec::new);
        let mut queue: VecDeque<(String, bool)> = parts(path, false).collect();
        let mut links = 0;
        while let Some((part, from_link)) = queue.pop_front() {
            let last = queue.is_empty();
            let Some(dir) = at.as_mut() else {
                match part.as_str() {
                    "." => continue,
                    ".." => return Err(Stop::Outside("above cargo's registry".to_owned())),
                    name if name == self.prefix => at = Some(Vec::new()),
                    name => {
                        return Err(Stop::Outside(format!(
                            "into `{name}`, next to the crate in cargo's registry"
                        )));
                    }
                }
                continue;
            };
            match part.as_str() {
                "." => continue,
                ".." => {
                    if dir.pop().is_none() {
                        at = None;
                    }
                    continue;
                }
                _ => {}
            }
            let key = join(dir, &part);
            match self.nodes.get(&key).cloned() {
                None if create.is_some() && !from_link => {
                    if let Some(created) = create.as_deref_mut() {
                        created.push(key);
                    }
                    dir.push(part);
                }
                None if last => return Ok(Resolved { key, node: None }),
                None => return Err(Stop::Fails(format!("{key} does not exist"))),
                Some(Node::Dir) => dir.push(part),
                Some(node @ Node::File(_)) if last => {
                    return Ok(Resolved {
                        key,
                        node: Some(node),
                    });
                }
                Some(Node::File(_)) => {
                    return Err(Stop::Fails(format!("{key} is a file, not a directory")));
                }
                Some(node @ Node::Symlink(_)) if last && !follow_last => {
                    return Ok(Resolved {
                        key,
                        node: Some(node),
                    });
                }
                Some(Node::Symlink(target)) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Stop::Fails(format!("too many links at {key}")));
                    }
                    if target.starts_with('/') {
                        return Err(Stop::Outside(format!(
                            "{key} is a link to the absolute path {target}"
                        )));
                    }
                    for item in parts(&target, true).collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front(item);
                    }
                }
            }
        }
        match at {
            Some(dir) => Ok(Resolved {
                key: dir.join("/"),
                node: Some(Node::Dir),
            }),
            None => Err(Stop::Outside("to cargo's registry directory".to_owned())),
        }
    }

    /// The parent directory of an entry at `parts` (inside the crate directory), created as
    /// tar's `ensure_dir_created` and `validate_inside_dst` do: its real path.
    pub fn ensure_parent(&mut self, parts: &[&str]) -> Result<String, Stop> {
        let mut created = Vec::new();
        let resolved = self.walk(Start::Crate, &parts.join("/"), true, Some(&mut created))?;
        for key in created {
            self.nodes.insert(key, Node::Dir);
        }
        match resolved.node {
            Some(Node::Dir) => Ok(resolved.key),
            Some(_) => Err(Stop::Fails(format!("{} is not a directory", resolved.key))),
            None => Err(Stop::Fails(format!("{} does not exist", resolved.key))),
        }
    }

    /// Resolves a path inside the crate directory.
    pub fn lookup(&self, path: &str, follow_last: bool) -> Result<Resolved, Stop> {
        self.walk(Start::Crate, path, follow_last, None)
    }
}

/// The parts of a `/`-separated path (empty ones dropped; a trailing `/` kept as `.` so that
/// what it names must be a directory), marked as coming from a link target or not.
fn parts(path: &str, from_link: bool) -> impl Iterator<Item = (String, bool)> + '_ {
    path.split('/')
        .filter(|part| !part.is_empty())
        .chain(path.ends_with('/').then_some("."))
        .map(move |part| (part.to_owned(), from_link))
}

/// `dir` joined with `name`.
fn join(dir: &[String], name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{}/{name}", dir.join("/"))
    }
}
