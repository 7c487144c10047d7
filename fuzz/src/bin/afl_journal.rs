//! AFL++ target: a golden journal corrupted as the input bytes say, read back as at a restore.
fn main() {
    afl::fuzz!(|data: &[u8]| loupe_fuzz::journal(data));
}
