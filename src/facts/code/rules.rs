//! The capability table: which paths, identifiers, literals and environment variable names show
//! which capability. Every list the scan matches against lives here, so a reviewer reads the
//! whole policy of the heuristics in one file.

use super::Capability;

/// Paths (after alias resolution) that show a capability: a resolved path matches when it starts
/// with the pattern's segments (`std::net::TcpStream` matches `std::net::TcpStream::connect`; a
/// bare crate name matches everything in that crate).
pub const PATH_RULES: &[(&str, Capability)] = &[
    ("std::net::TcpStream", Capability::Network),
    ("std::net::UdpSocket", Capability::Network),
    ("std::net::TcpListener", Capability::Network),
    ("std::net::ToSocketAddrs", Capability::Network),
    ("std::os::unix::net", Capability::Network),
    ("reqwest", Capability::Network),
    ("ureq", Capability::Network),
    ("hyper", Capability::Network),
    ("curl", Capability::Network),
    ("isahc", Capability::Network),
    ("attohttpc", Capability::Network),
    ("minreq", Capability::Network),
    ("surf", Capability::Network),
    ("ehttp", Capability::Network),
    ("http_req", Capability::Network),
    ("tokio::net", Capability::Network),
    ("async_std::net", Capability::Network),
    ("smol::net", Capability::Network),
    ("socket2", Capability::Network),
    ("mio::net", Capability::Network),
    ("tungstenite", Capability::Network),
    ("tokio_tungstenite", Capability::Network),
    ("std::process::Command", Capability::Execute),
    ("tokio::process::Command", Capability::Execute),
    ("async_process::Command", Capability::Execute),
    ("std::os::unix::process::CommandExt", Capability::Execute),
    ("libc::system", Capability::Execute),
    ("libc::execv", Capability::Execute),
    ("libc::execve", Capability::Execute),
    ("libc::execvp", Capability::Execute),
    ("libc::execvpe", Capability::Execute),
    ("libc::execl", Capability::Execute),
    ("libc::execle", Capability::Execute),
    ("libc::execlp", Capability::Execute),
    ("libc::fork", Capability::Execute),
    ("libc::vfork", Capability::Execute),
    ("libc::posix_spawn", Capability::Execute),
    ("libc::posix_spawnp", Capability::Execute),
    ("libc::popen", Capability::Execute),
    ("nix::unistd::execv", Capability::Execute),
    ("nix::unistd::execve", Capability::Execute),
    ("nix::unistd::execvp", Capability::Execute),
    ("nix::unistd::execvpe", Capability::Execute),
    ("nix::unistd::fork", Capability::Execute),
    ("duct", Capability::Execute),
    ("xshell", Capability::Execute),
    ("subprocess", Capability::Execute),
    ("libloading", Capability::DynamicLoad),
    ("std::env::vars", Capability::ReadsAllEnv),
    ("std::env::vars_os", Capability::ReadsAllEnv),
];

/// Identifiers that show a capability wherever they appear (as a path's last segment, a method, a
/// declared foreign function): `libc::dlopen`, `extern "C" { fn dlopen(…) }`, `.danger_…(true)`.
pub const IDENT_RULES: &[(&str, Capability)] = &[
    ("dlopen", Capability::DynamicLoad),
    ("dlsym", Capability::DynamicLoad),
    ("LoadLibraryA", Capability::DynamicLoad),
    ("LoadLibraryW", Capability::DynamicLoad),
    ("LoadLibraryExA", Capability::DynamicLoad),
    ("LoadLibraryExW", Capability::DynamicLoad),
    ("GetProcAddress", Capability::DynamicLoad),
    ("memfd_create", Capability::DynamicLoad),
    ("PROT_EXEC", Capability::DynamicLoad),
    ("danger_accept_invalid_certs", Capability::TlsUnverified),
    ("danger_accept_invalid_hostnames", Capability::TlsUnverified),
    ("dangerous_configuration", Capability::TlsUnverified),
    ("NoCertificateVerification", Capability::TlsUnverified),
    ("SSL_VERIFY_NONE", Capability::TlsUnverified),
];

/// The capability an identifier shows by [`IDENT_RULES`] (a `match`: called for every identifier).
pub fn ident_rule(word: &str) -> Option<Capability> {
    let cap = match word {
        "dlopen" | "dlsym" | "LoadLibraryA" | "LoadLibraryW" | "LoadLibraryExA"
        | "LoadLibraryExW" | "GetProcAddress" | "memfd_create" | "PROT_EXEC" => {
            Capability::DynamicLoad
        }
        "danger_accept_invalid_certs"
        | "danger_accept_invalid_hostnames"
        | "dangerous_configuration"
        | "NoCertificateVerification"
        | "SSL_VERIFY_NONE" => Capability::TlsUnverified,
        _ => return None,
    };
    debug_assert!(IDENT_RULES.contains(&(word, cap)));
    Some(cap)
}

/// Functions whose call reads one environment variable named by their first argument.
pub const ENV_READS: &[&str] = &["std::env::var", "std::env::var_os"];

/// Macros that read one environment variable named by their first argument.
pub const ENV_MACROS: &[&str] = &["env", "option_env"];

/// Crate roots that the path rules (and the filesystem writes) start with; a path whose first
/// segment is not one of them matches nothing, which keeps matching cheap.
pub fn is_rule_root(segment: &str) -> bool {
    matches!(
        segment,
        "std"
            | "reqwest"
            | "ureq"
            | "hyper"
            | "curl"
            | "isahc"
            | "attohttpc"
            | "minreq"
            | "surf"
            | "ehttp"
            | "http_req"
            | "tokio"
            | "async_std"
            | "smol"
            | "socket2"
            | "mio"
            | "tungstenite"
            | "tokio_tungstenite"
            | "async_process"
            | "libc"
            | "nix"
            | "duct"
            | "xshell"
            | "subprocess"
            | "libloading"
    )
}

/// True when `path` (segments) starts with the `::`-separated `pattern`. Called for every path
/// the scan meets, against every rule: it looks for `:` by byte (a segment never holds one)
/// instead of splitting on `"::"`, which builds a substring searcher each time.
pub fn path_starts_with(path: &[String], pattern: &str) -> bool {
    let mut rest = pattern;
    let mut index = 0;
    loop {
        let (want, next) = match rest.find(':') {
            Some(at) => (&rest[..at], Some(rest[at..].trim_start_matches(':'))),
            None => (rest, None),
        };
        if path.get(index).map(String::as_str) != Some(want) {
            return false;
        }
        index += 1;
        match next {
            Some(next) => rest = next,
            None => return true,
        }
    }
}

/// The number of segments of a `::`-separated path.
pub fn segment_count(pattern: &str) -> usize {
    pattern.bytes().filter(|&byte| byte == b':').count() / 2 + 1
}

/// Filesystem calls that write, create or remove (the build-script write heuristic), and whether
/// they need a `.write(true)`/`.create(true)`/`.append(true)` later in the statement to count.
pub const FS_WRITES: &[(&str, bool)] = &[
    ("std::fs::write", false),
    ("std::fs::File::create", false),
    ("std::fs::File::create_new", false),
    ("std::fs::File::options", true),
    ("std::fs::OpenOptions", true),
    ("std::fs::copy", false),
    ("std::fs::rename", false),
    ("std::fs::hard_link", false),
    ("std::fs::create_dir", false),
    ("std::fs::create_dir_all", false),
    ("std::fs::remove_file", false),
    ("std::fs::remove_dir", false),
    ("std::fs::remove_dir_all", false),
    ("std::fs::set_permissions", false),
    ("std::os::unix::fs::symlink", false),
];

/// Program names (basename, lowercase, `.exe` dropped) that download when run.
pub const DOWNLOAD_PROGRAMS: &[&str] = &[
    "curl",
    "wget",
    "nc",
    "ncat",
    "netcat",
    "bitsadmin",
    "certutil",
    "aria2c",
];

/// Programs that run a script given as an argument: they download when an argument literal of the
/// same statement contains one of [`DOWNLOAD_WORDS`].
pub const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "cmd", "powershell", "pwsh"];

/// Words (lowercase) in a shell's script argument that make it a download.
pub const DOWNLOAD_WORDS: &[&str] = &[
    "curl ",
    "wget ",
    "invoke-webrequest",
    "iwr ",
    "invoke-restmethod",
    "irm ",
    "downloadfile",
    "downloadstring",
    "net.webclient",
    "start-bitstransfer",
    "bitsadmin",
    "certutil",
];

/// Normalises a program literal: basename, lowercase, without `.exe`.
pub fn program_name(literal: &str) -> String {
    let base = literal
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(literal)
        .to_ascii_lowercase();
    base.strip_suffix(".exe")
        .map(str::to_string)
        .unwrap_or(base)
}

/// How a credential-store name is recognised in a (lowercased) string literal.
enum Cred {
    /// Anywhere in the literal: names distinctive enough on their own.
    Contains(&'static str),
    /// As a whole `/`- or `\`-separated component (the literal `.ssh` alone is one component).
    Component(&'static str),
    /// As a whole component of a literal that has a path separator: words too common alone.
    PathComponent(&'static str),
    /// All of the words, anywhere.
    All(&'static [&'static str]),
    /// The first word and any one of the others.
    WithAny(&'static str, &'static [&'static str]),
}

/// Credential stores: SSH keys, cloud and registry tokens, browser profiles, wallets.
const CREDENTIALS: &[Cred] = &[
    Cred::Component(".ssh"),
    Cred::Contains("id_rsa"),
    Cred::Contains("id_ed25519"),
    Cred::Contains("id_ecdsa"),
    Cred::Contains("id_dsa"),
    Cred::Component(".aws"),
    Cred::Contains(".aws/credentials"),
    Cred::Contains(".config/gcloud"),
    Cred::Component(".azure"),
    Cred::Contains(".kube/config"),
    Cred::Contains(".docker/config.json"),
    Cred::Contains(".cargo/credentials"),
    Cred::Contains(".git-credentials"),
    Cred::Component(".npmrc"),
    Cred::Component(".pypirc"),
    Cred::Component(".netrc"),
    Cred::Component(".gnupg"),
    Cred::PathComponent("login data"),
    Cred::PathComponent("local state"),
    Cred::WithAny("cookies", &["chrome", "chromium", "firefox"]),
    Cred::Contains(".mozilla/firefox"),
    Cred::Contains("google/chrome"),
    Cred::All(&["google", "chrome", "user data"]),
    Cred::Contains("wallet.dat"),
    Cred::Component(".electrum"),
    Cred::PathComponent("exodus"),
    Cred::Contains(".solana/id.json"),
    Cred::PathComponent("keystore"),
    Cred::Component(".ethereum"),
    Cred::Contains("metamask"),
];

/// The credential store a string literal names, if any (the table entry's word).
pub fn credential_in(literal: &str) -> Option<&'static str> {
    if literal.len() < 4 || literal.len() > 4096 {
        return None;
    }
    let lower = literal.to_ascii_lowercase();
    let has_separator = lower.contains(['/', '\\']);
    let components = lower.split(['/', '\\']);
    for cred in CREDENTIALS {
        let hit = match cred {
            Cred::Contains(w) => lower.contains(w).then_some(*w),
            Cred::Component(w) => components.clone().any(|c| c == *w).then_some(*w),
            Cred::PathComponent(w) => {
                (has_separator && components.clone().any(|c| c == *w)).then_some(*w)
            }
            Cred::All(ws) => ws.iter().all(|w| lower.contains(w)).then_some(ws[0]),
            Cred::WithAny(w, others) => {
                (lower.contains(w) && others.iter().any(|o| lower.contains(o))).then_some(*w)
            }
        };
        if hit.is_some() {
            return hit;
        }
    }
    None
}

/// True when an environment variable name read by literal is a secret: tokens, passwords, keys,
/// cloud and registry credentials. Cargo's own build variables (`CARGO_FEATURE_*`,
/// `CARGO_CFG_*`, `DEP_*`) never are, nor is a name that only starts like a cloud's variables
/// (`AWS_LC_RS_DISABLE_SLOW_TESTS`, `GITHUB_ACTIONS`): the credentials among those name a token,
/// a secret or a key (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, `AZURE_CLIENT_SECRET`).
pub fn is_secret_env(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if ["CARGO_FEATURE_", "CARGO_CFG_", "DEP_", "CARGO_PKG_"]
        .iter()
        .any(|p| n.starts_with(p))
    {
        return false;
    }
    const WORDS: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ];
    WORDS.iter().any(|w| n.contains(w)) || n.ends_with("_KEY") || n.ends_with("_PAT")
}

/// True when a string literal is a secret variable's name or part of one, as code that iterates
/// every environment variable filters them (`k.contains("TOKEN")`): upper case, digits and
/// underscores only, and a secret by [`is_secret_env`].
pub fn is_secret_env_name(text: &str) -> bool {
    (3..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && is_secret_env(text)
}

/// Shannon entropy in bits per symbol of a sequence of symbols.
pub fn entropy<T: Ord + Copy>(symbols: impl Iterator<Item = T>) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    let mut total = 0usize;
    for s in symbols {
        *counts.entry(s).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts.values().fold(0.0, |acc, &c| {
        let p = c as f64 / total;
        acc - p * p.log2()
    })
}

/// Shannon entropy in bits per byte, with a counting table (for file contents).
pub fn byte_entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let total = bytes.len() as f64;
    counts.iter().filter(|&&c| c > 0).fold(0.0, |acc, &c| {
        let p = c as f64 / total;
        acc - p * p.log2()
    })
}

/// Why a string literal looks like an encoded payload, if it does: base64 or hex of ≥ 256 chars
/// with the entropy of encoded data, or ≥ 128 mostly-ASCII chars of very high entropy.
pub fn obfuscated_text(s: &str) -> Option<&'static str> {
    let n = s.chars().count();
    if n < 128 {
        return None;
    }
    let ascii_graphic = s.bytes().filter(u8::is_ascii_graphic).count();
    if ascii_graphic * 100 < n * 95 {
        return None; // prose (spaces), unicode tables
    }
    if n >= 256 {
        let b64 = s
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(b))
            .count();
        let hex = s.bytes().filter(u8::is_ascii_hexdigit).count();
        if hex == n && entropy(s.bytes()) >= 3.5 {
            return Some("hex blob");
        }
        if b64 * 100 >= n * 95 && entropy(s.bytes()) >= 4.5 {
            return Some("base64 blob");
        }
    }
    (entropy(s.chars()) >= 5.0).then_some("high-entropy string")
}

/// Why a byte string literal looks like an encoded payload: the text rules when it is text, else
/// ≥ 128 bytes of entropy ≥ 5.0 bits per byte.
pub fn obfuscated_bytes(b: &[u8]) -> Option<&'static str> {
    match std::str::from_utf8(b) {
        Ok(s) => obfuscated_text(s),
        Err(_) => (b.len() >= 128 && byte_entropy(b) >= 5.0).then_some("high-entropy bytes"),
    }
}

/// Calls that turn numbers into text: an integer table flowing into one decodes a hidden string.
pub const DECODE_CALLS: &[&str] = &[
    "from_utf8",
    "from_utf8_lossy",
    "from_utf8_unchecked",
    "from_utf16",
    "from_u32",
];

/// How many integer literals a table needs before decoding it counts as obfuscation.
pub const MIN_TABLE: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_table_hits_and_misses() {
        for (lit, word) in [
            ("/home/u/.ssh/id_rsa", ".ssh"),
            (".ssh", ".ssh"),
            ("id_ed25519.pub", "id_ed25519"),
            ("C:\\Users\\u\\.aws\\config", ".aws"),
            ("~/.aws/credentials", ".aws"),
            (
                ".config/gcloud/application_default_credentials.json",
                ".config/gcloud",
            ),
            ("/root/.azure/", ".azure"),
            (".kube/config", ".kube/config"),
            (".docker/config.json", ".docker/config.json"),
            (".cargo/credentials.toml", ".cargo/credentials"),
            (".git-credentials", ".git-credentials"),
            (".npmrc", ".npmrc"),
            (".pypirc", ".pypirc"),
            ("/home/u/.netrc", ".netrc"),
            ("Default/Login Data", "login data"),
            ("Chromium/Default/Cookies", "cookies"),
            (".mozilla/firefox/profiles.ini", ".mozilla/firefox"),
            ("Library/Application Support/Google/Chrome", "google/chrome"),
            ("wallet.dat", "wallet.dat"),
            (".electrum/wallets", ".electrum"),
            ("AppData/Roaming/Exodus/exodus.wallet", "exodus"),
            (".solana/id.json", ".solana/id.json"),
            (".ethereum/keystore", "keystore"),
            (".ethereum/geth", ".ethereum"),
            ("nkbihfbeogaeaoehlefnkodbefgpgknn MetaMask", "metamask"),
        ] {
            assert_eq!(credential_in(lit), Some(word), "{lit}");
        }
        for lit in [
            "ssh",
            "the .ssh directory",
            "keystore",
            "Exodus",
            "cookies",
            "Local State of the parser",
            ".gitconfig",
            "https://aws.amazon.com/",
            "sshd_config",
        ] {
            assert_eq!(credential_in(lit), None, "{lit}");
        }
    }

    #[test]
    fn secret_env_names() {
        for name in [
            "GITHUB_TOKEN",
            "MY_SERVICE_PASSWORD",
            "DB_PASSWD",
            "DB_SECRET",
            "STRIPE_API_KEY",
            "SIGNING_PRIVATE_KEY",
            "ENCRYPTION_KEY",
            "AWS_ACCESS_KEY_ID",
            "GH_PAT",
            "CARGO_REGISTRY_TOKEN",
            "CARGO_REGISTRIES_MY_REG_TOKEN",
            "AZURE_CLIENT_SECRET",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "api_token",
        ] {
            assert!(is_secret_env(name), "{name}");
        }
        for name in [
            "OUT_DIR",
            "TARGET",
            "HOST",
            "PROFILE",
            "CARGO_PKG_VERSION",
            "CARGO_CFG_TARGET_OS",
            "CARGO_FEATURE_API_KEY",
            "DEP_OPENSSL_KEY",
            "PATH",
            "RUSTC",
            "KEYBOARD",
            // Named like a cloud's or a CI's variables, but settings, not credentials.
            "AWS_LC_RS_DISABLE_SLOW_TESTS",
            "AWS_REGION",
            "GITHUB_ACTIONS",
            "NPM_CONFIG_REGISTRY",
            "AZURE_CLIENT_ID",
        ] {
            assert!(!is_secret_env(name), "{name}");
        }
    }

    #[test]
    fn program_names_and_paths() {
        assert_eq!(program_name("C:\\Windows\\System32\\CURL.EXE"), "curl");
        assert_eq!(program_name("/usr/bin/wget"), "wget");
        let p: Vec<String> = ["std", "net", "TcpStream", "connect"]
            .map(String::from)
            .to_vec();
        assert!(path_starts_with(&p, "std::net::TcpStream"));
        assert!(!path_starts_with(&p, "std::net::TcpStreamX"));
        assert!(!path_starts_with(&p[..2], "std::net::TcpStream"));
        assert!(path_starts_with(&p, "std"));
        assert!(!path_starts_with(&p, ""));
        assert!(!path_starts_with(&[], "std"));
        assert_eq!(segment_count("std::env::var"), 3);
        assert_eq!(segment_count("duct"), 1);
        for (word, cap) in IDENT_RULES {
            assert_eq!(ident_rule(word), Some(*cap), "{word}");
        }
        for (pattern, _) in PATH_RULES {
            let root = pattern.split("::").next().unwrap_or("");
            assert!(is_rule_root(root), "{pattern}");
        }
    }

    #[test]
    fn entropy_measures() {
        assert_eq!(entropy("aaaa".chars()), 0.0);
        assert!((entropy("abcd".chars()) - 2.0).abs() < 1e-9);
        assert!((byte_entropy(&[0, 1, 2, 3]) - 2.0).abs() < 1e-9);
        assert_eq!(obfuscated_text(&"ab".repeat(200)), None);
    }
}
