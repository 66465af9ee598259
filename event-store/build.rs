//! `sqlx::migrate!` embeds the write migrations at compile time: rebuild when one is added or
//! changed, or a build would carry (and apply) an older set.
fn main() {
    println!("cargo:rerun-if-changed=../migrations/write");
}
