//! The central scheduling server. Not built yet.

fn main() {
    println!("tutorkiosk-server: not built yet. See README.md.");
}
