//! Allocation concealment by commitment: the pharmacy's secret key file, and
//! the commitment to it that the spec holds.
//!
//! A spec that writes its `seed` in plain text cannot be shared: the seed
//! recomputes the sequence and the blinding codes. A spec that writes
//! `seed commitment "…"` holds only the SHA-256 of a key file kept by the
//! party that prepares the treatments (the pharmacy). The spec can then be
//! given to anyone (the ethics board, the clinician, the participant, the
//! protocol's appendix) without unblinding the trial, and the key is checked
//! against the commitment before anything is drawn from it, so nobody can
//! swap in another key after the protocol was approved.
//!
//! The key file (`trialc-key/1`) is a small text file:
//!
//! ```text
//! # comment lines start with `#`
//! trialc-key/1
//! seed 20261201
//! salt 0f1e…(64 hexadecimal digits)
//! ```
//!
//! The seed draws the schedule exactly as a plain `seed` does (the streams of
//! [`super::rng`], so a key that keeps a spec's former seed keeps its
//! schedule). The salt is 32 random bytes that enter only the commitment:
//! without it, a seed that is a date or a small number could be found from
//! the commitment by trying candidates. The commitment is the SHA-256 of the
//! file's bytes, as `sha256sum` prints it, so anyone can check a key file
//! against a spec without trialc.
//!
//! Everything here is pure: the random bytes of a new key come from the
//! caller (the CLI draws them from the operating system), and messages about
//! a key never quote its seed or salt.

use std::fmt;

use sha2::{Digest, Sha256};

/// The first line (after comments) of every key file.
pub const KEY_FORMAT: &str = "trialc-key/1";

/// A SHA-256 commitment to a key file, written in the spec as 64 hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment([u8; 32]);

impl Commitment {
    /// The commitment to a key file: the SHA-256 of its bytes.
    pub fn of(bytes: &[u8]) -> Commitment {
        Commitment(Sha256::digest(bytes).into())
    }

    /// 64 hexadecimal digits (either case); `None` for anything else.
    pub fn parse(text: &str) -> Option<Commitment> {
        let bytes = parse_hex::<32>(text)?;
        Some(Commitment(bytes))
    }

    /// Lower-case hex, as the spec writes it.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Display for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({})", self.hex())
    }
}

/// Whether a schedule's sequence and blinding codes were drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// Drawn from the seed: the spec's plain `seed`, a verified key's, or
    /// none at all for an open design that the spec fixes.
    #[default]
    Drawn,
    /// Not drawn: the spec commits to a key that was not given. The days,
    /// periods and measurement days are real; the arm of each period of a
    /// randomized design, the periods' washout days (which follow the
    /// switches) and the blinding codes are placeholders that nothing may
    /// show or analyse.
    Concealed,
}

/// A key file, read and checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// The seed the schedule is drawn from.
    pub seed: u64,
    /// Random bytes that make the commitment impossible to search.
    pub salt: [u8; 32],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret: never in a log or a panic message.
        f.write_str("Key { .. }")
    }
}

/// Why a key file was refused. Messages name lines, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The file's SHA-256 is not the spec's commitment.
    Mismatch { found: Commitment },
    /// Not a key file, or not one this trialc reads.
    Format(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Mismatch { found } => write!(
                f,
                "its SHA-256 is {found}, not the commitment the spec holds"
            ),
            KeyError::Format(why) => f.write_str(why),
        }
    }
}

impl Key {
    /// Reads a key file's text. Lines starting with `#` and empty lines are
    /// ignored; the first other line is [`KEY_FORMAT`], then `seed N` and
    /// `salt HEX` (64 hex digits), each once, in any order.
    pub fn parse(text: &str) -> Result<Key, KeyError> {
        let bad = |line: usize, what: &str| KeyError::Format(format!("line {line}: {what}"));
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l).trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, KEY_FORMAT)) => {}
            Some((n, l)) if l.starts_with("trialc-key/") => {
                return Err(bad(
                    n,
                    &format!(
                        "`{}` is a key format this trialc does not read (it reads `{KEY_FORMAT}`)",
                        l.chars().take(24).collect::<String>()
                    ),
                ))
            }
            Some((n, _)) => {
                return Err(bad(
                    n,
                    &format!("not a trialc key file: it must start with `{KEY_FORMAT}`"),
                ))
            }
            None => {
                return Err(KeyError::Format(format!(
                    "the file is empty: a key file starts with `{KEY_FORMAT}`"
                )))
            }
        }
        let (mut seed, mut salt) = (None, None);
        for (n, line) in lines {
            let (entry, value) = line
                .split_once(char::is_whitespace)
                .map_or((line, ""), |(k, v)| (k, v.trim()));
            match entry {
                "seed" if seed.is_some() => return Err(bad(n, "a second `seed`")),
                "salt" if salt.is_some() => return Err(bad(n, "a second `salt`")),
                "seed" => {
                    let ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                    seed =
                        Some(
                            value.parse::<u64>().ok().filter(|_| ok).ok_or_else(|| {
                                bad(n, "the seed is not a whole number below 2^64")
                            })?,
                        );
                }
                "salt" => {
                    salt = Some(
                        parse_hex::<32>(value)
                            .ok_or_else(|| bad(n, "the salt is not 64 hexadecimal digits"))?,
                    );
                }
                _ => {
                    return Err(bad(
                        n,
                        "an entry that is not `seed` or `salt` (was the file edited?)",
                    ))
                }
            }
        }
        match (seed, salt) {
            (Some(seed), Some(salt)) => Ok(Key { seed, salt }),
            (None, _) => Err(KeyError::Format("the file has no `seed`".into())),
            (_, None) => Err(KeyError::Format("the file has no `salt`".into())),
        }
    }

    /// Reads a key file and checks it against the spec's commitment first: a
    /// file whose bytes are not the ones committed to is refused whatever it
    /// holds.
    pub fn verify(text: &str, commitment: &Commitment) -> Result<Key, KeyError> {
        let found = Commitment::of(text.as_bytes());
        if found != *commitment {
            return Err(KeyError::Mismatch { found });
        }
        Key::parse(text)
    }

    /// The key file's text for `seed` and `salt`, with comments that say what
    /// it is (`trial` names the trial, for the people who file it).
    pub fn file(&self, trial: Option<&str>) -> String {
        let mut out = String::new();
        out.push_str("# trialc allocation key. SECRET: for the pharmacy (whoever prepares the\n");
        out.push_str("# treatments) only. Whoever holds this file can unblind the trial.\n");
        if let Some(t) = trial {
            // One line, whatever the trial id holds.
            let t: String = t.chars().filter(|c| !c.is_control()).collect();
            out.push_str(&format!("# Trial: {t}\n"));
        }
        out.push_str("# The spec holds only its commitment, the SHA-256 of this file's bytes\n");
        out.push_str("# (`seed commitment \"…\"`): change no byte of it, line endings included.\n");
        out.push_str(KEY_FORMAT);
        out.push('\n');
        out.push_str(&format!("seed {}\n", self.seed));
        out.push_str(&format!("salt {}\n", hex(&self.salt)));
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Exactly `2 N` hexadecimal digits as N bytes.
fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |d: u8| char::from(d).to_digit(16).map(|v| v as u8);
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = value(digits[2 * i])? << 4 | value(digits[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 32] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
        0x32, 0x10,
    ];

    #[test]
    fn the_commitment_is_the_sha256_of_the_file() {
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(
            Commitment::of(b"abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let c =
            Commitment::parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
                .expect("upper case is hex too");
        assert_eq!(c, Commitment::of(b"abc"));
        for bad in [
            "",
            "ba78",
            &"g".repeat(64),
            &"a".repeat(63),
            &"a".repeat(65),
        ] {
            assert_eq!(Commitment::parse(bad), None, "{bad}");
        }
        // A multi-byte character never splits into a valid digit pair.
        assert_eq!(Commitment::parse(&format!("{}é", "a".repeat(62))), None);
    }

    #[test]
    fn a_written_key_reads_back_and_verifies() {
        let key = Key {
            seed: 20261201,
            salt: SALT,
        };
        let file = key.file(Some("magnesium-migraine"));
        assert!(file.contains("\ntrialc-key/1\nseed 20261201\nsalt 00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210\n"), "{file}");
        assert_eq!(Key::parse(&file), Ok(key.clone()));
        let commitment = Commitment::of(file.as_bytes());
        assert_eq!(Key::verify(&file, &commitment), Ok(key));
        // One byte more (a line ending an editor added) is another key.
        let edited = format!("{file}\n");
        assert_eq!(
            Key::verify(&edited, &commitment),
            Err(KeyError::Mismatch {
                found: Commitment::of(edited.as_bytes())
            })
        );
        // The salt is in the commitment: same seed, other salt, other commitment.
        let other = Key {
            seed: 20261201,
            salt: [7; 32],
        };
        assert_ne!(Commitment::of(other.file(None).as_bytes()), commitment);
    }

    #[test]
    fn malformed_keys_are_refused_by_line_without_their_values() {
        let salt = "ab".repeat(32);
        let cases = [
            ("", "empty"),
            ("seed 1\n", "line 1: not a trialc key file"),
            (
                "trialc-key/2\nseed 1\n",
                "line 1: `trialc-key/2` is a key format",
            ),
            ("trialc-key/1\nsalt 12\n", "line 2: the salt is not 64"),
            ("trialc-key/1\nseed -5\n", "line 2: the seed is not"),
            (
                "trialc-key/1\nseed 99999999999999999999\n",
                "line 2: the seed is not",
            ),
            (
                "# c\ntrialc-key/1\nseed 1\nseed 2\n",
                "line 4: a second `seed`",
            ),
            (
                "trialc-key/1\nseed 1\npepper 3\n",
                "line 3: an entry that is not",
            ),
            ("trialc-key/1\nseed 1\n", "no `salt`"),
        ];
        for (text, expected) in cases {
            let err = Key::parse(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains("99999") && !err.contains("pepper 3"), "{err}");
        }
        let ok = format!("\r\n# comment\r\ntrialc-key/1\r\nsalt {salt}\r\nseed 7\r\n");
        assert_eq!(Key::parse(&ok).map(|k| k.seed), Ok(7));
    }

    #[test]
    fn a_key_never_prints_its_secret() {
        let key = Key {
            seed: 424242,
            salt: SALT,
        };
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("424242") && !shown.contains("0011"),
            "{shown}"
        );
    }
}
