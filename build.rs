//! Rebuild when the embedded pages or bundled quizzes change, including files newly added (the
//! release binary embeds `web/` and `quizzes/` at compile time).
fn main() {
    println!("cargo:rerun-if-changed=web");
    println!("cargo:rerun-if-changed=quizzes");
    println!("cargo:rerun-if-changed=words");
}
