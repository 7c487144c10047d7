//! AFL++ target: WebSocket message decoding (`ClientMsg`), re-encoding and decoding again.
fn main() {
    afl::fuzz!(|data: &[u8]| loupe_fuzz::decode(data));
}
