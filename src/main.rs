//! The kiosk binary. The screens are not built yet: today it prints what it will be.

fn main() {
    println!(
        "tutorkiosk: the kiosk screens are not built yet.\n\
         What exists today: the center's rules (src/domain) and the wire contract (src/protocol),\n\
         exercised by `cargo test`. See README.md."
    );
}
