//! AFL++ target: the session machine fed a command sequence decoded from the input bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| loupe_fuzz::machine(data));
}
