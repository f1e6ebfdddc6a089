//! Writes `test-vectors/*.json`. Run from anywhere:
//! `cargo run -p mlegit-vectors --bin generate-vectors`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (name, text) in mlegit_vectors::generate() {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
