//! What kind of file a crate ships, by content: magic numbers for native code, archives and
//! media, UTF-8 for text, byte entropy for opaque data. The extension only tells Rust from text.

use super::rules::byte_entropy;
use super::{FileKind, NativeFormat};

/// Opaque data: at least this many bytes ...
const OPAQUE_MIN_SIZE: u64 = 1024;
/// ... of at least this entropy, in bits per byte (compressed or encrypted data is near 8).
const OPAQUE_MIN_ENTROPY: f64 = 7.0;

/// Classifies a file by its content (`bytes`: the kept start of a file of `size` bytes).
pub fn classify(path: &str, bytes: &[u8], size: u64) -> FileKind {
    if let Some(kind) = by_magic(bytes) {
        return kind;
    }
    if is_text(bytes) {
        return if path.ends_with(".rs") {
            FileKind::Rust
        } else {
            FileKind::Text
        };
    }
    if size >= OPAQUE_MIN_SIZE && byte_entropy(bytes) >= OPAQUE_MIN_ENTROPY {
        FileKind::Opaque
    } else {
        FileKind::Binary
    }
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
}

fn u16_be(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_be_bytes)
}

fn by_magic(b: &[u8]) -> Option<FileKind> {
    let native = |f| Some(FileKind::Native(f));
    let compressed = |n: &str| Some(FileKind::Compressed(n.to_string()));
    if b.starts_with(b"\x7fELF") {
        return native(NativeFormat::Elf);
    }
    if b.starts_with(b"MZ") {
        let pe = u32_le(b, 0x3c)
            .and_then(|off| usize::try_from(off).ok())
            .is_some_and(|off| b.get(off..off.saturating_add(4)) == Some(b"PE\0\0"));
        if pe {
            return native(NativeFormat::Pe);
        }
    }
    match u32_be(b, 0) {
        Some(0xFEED_FACE | 0xFEED_FACF | 0xCEFA_EDFE | 0xCFFA_EDFE) => {
            return native(NativeFormat::MachO);
        }
        // Fat Mach-O; Java class files share the magic but carry a version (≥ 45) next.
        Some(0xCAFE_BABE | 0xCAFE_BABF) if u32_be(b, 4).is_some_and(|n| (1..20).contains(&n)) => {
            return native(NativeFormat::MachO);
        }
        _ => {}
    }
    if b.starts_with(b"\0asm") {
        return native(NativeFormat::Wasm);
    }
    if b.starts_with(b"!<arch>\n") {
        return native(NativeFormat::Ar);
    }
    if b.starts_with(&[0x1f, 0x8b]) {
        return compressed("gzip");
    }
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        return compressed("zip");
    }
    if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return compressed("xz");
    }
    if b.starts_with(b"BZh") && b.get(3).is_some_and(|d| (b'1'..=b'9').contains(d)) {
        return compressed("bzip2");
    }
    if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return compressed("zstd");
    }
    if b.starts_with(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        return compressed("7z");
    }
    is_media(b).then_some(FileKind::Media)
}

fn is_media(b: &[u8]) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"%PDF-",
        b"OTTO",
        b"wOFF",
        b"wOF2",
    ];
    if SIGNATURES.iter().any(|s| b.starts_with(s)) {
        return true;
    }
    let webp = b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP");
    // ICO/CUR: reserved 0, type 1 or 2, a plausible image count, first entry's reserved byte 0.
    let ico = b.len() >= 22
        && b.starts_with(&[0, 0])
        && matches!(u16_le(b, 2), Some(1 | 2))
        && u16_le(b, 4).is_some_and(|n| (1..=256).contains(&n))
        && b[9] == 0;
    // TrueType: version 1.0 and a plausible table count.
    let ttf = b.starts_with(&[0, 1, 0, 0]) && u16_be(b, 4).is_some_and(|n| (1..=64).contains(&n));
    webp || ico || ttf
}

/// Valid UTF-8 (a character cut by truncation at the end is fine) with few control characters
/// (tab, newlines and form feed are not counted).
fn is_text(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => {}
        Err(e) if e.error_len().is_none() && b.len() - e.valid_up_to() < 4 => {}
        Err(_) => return false,
    }
    let control = b
        .iter()
        .filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c)) || c == 0x7f)
        .count();
    control * 100 <= b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (xorshift), high entropy.
    fn noise(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn kind(path: &str, b: &[u8]) -> FileKind {
        classify(path, b, b.len() as u64)
    }

    #[test]
    fn native_formats_by_magic() {
        assert_eq!(
            kind("lib/x.txt", b"\x7fELF\x02\x01\x01"),
            FileKind::Native(NativeFormat::Elf)
        );
        let mut pe = vec![0u8; 0x100];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(kind("x.dll", &pe), FileKind::Native(NativeFormat::Pe));
        pe[0x81] = b'X';
        assert_eq!(
            kind("x.dll", &pe),
            FileKind::Binary,
            "MZ without a PE header"
        );
        assert_eq!(
            kind("mz.txt", b"MZ is how this note starts\n"),
            FileKind::Text
        );
        assert_eq!(
            kind("a", &[0xcf, 0xfa, 0xed, 0xfe, 7, 0]),
            FileKind::Native(NativeFormat::MachO)
        );
        assert_eq!(
            kind("a", &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]),
            FileKind::Native(NativeFormat::MachO)
        );
        let java = [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34, 0, 0x1d];
        assert_eq!(kind("A.class", &java), FileKind::Binary);
        assert_eq!(
            kind("a", b"\0asm\x01\0\0\0"),
            FileKind::Native(NativeFormat::Wasm)
        );
        assert_eq!(
            kind("libx.a", b"!<arch>\n/   "),
            FileKind::Native(NativeFormat::Ar)
        );
    }

    #[test]
    fn archives_media_text_and_noise() {
        assert_eq!(
            kind("x", &[0x1f, 0x8b, 8, 0]),
            FileKind::Compressed("gzip".into())
        );
        assert_eq!(
            kind("x", b"PK\x03\x04rest"),
            FileKind::Compressed("zip".into())
        );
        assert_eq!(kind("x", b"BZh9"), FileKind::Compressed("bzip2".into()));
        assert_eq!(
            kind("x", &[0x28, 0xb5, 0x2f, 0xfd, 0]),
            FileKind::Compressed("zstd".into())
        );
        assert_eq!(kind("x", b"\xfd7zXZ\0"), FileKind::Compressed("xz".into()));
        assert_eq!(
            kind("logo.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            FileKind::Media
        );
        assert_eq!(
            kind("README.md", "# héllo\n\ttext\n".as_bytes()),
            FileKind::Text
        );
        assert_eq!(kind("src/lib.rs", b"fn main() {}\n"), FileKind::Rust);
        assert_eq!(kind("src/lib.rs", &[0xff, 0xfe, 0, 1]), FileKind::Binary);
        assert_eq!(kind("blob", &noise(4096)), FileKind::Opaque);
        assert_eq!(kind("small", &noise(100)), FileKind::Binary);
        // A truncated file cut inside a multi-byte character is still text.
        let cut = "aé".as_bytes();
        assert_eq!(classify("t.txt", &cut[..2], 10), FileKind::Text);
        let mut zeros = b"text".to_vec();
        zeros.extend([0u8; 64]);
        assert_eq!(kind("z", &zeros), FileKind::Binary);
    }
}
