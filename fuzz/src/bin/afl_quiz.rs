//! AFL++ target: quiz TOML parsing and validation (files a teacher or association may share).
fn main() {
    afl::fuzz!(|data: &[u8]| loupe_fuzz::quiz(data));
}
