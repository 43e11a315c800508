fn main() {
    // tauri.conf.json lives at the repository root (DESIGN); tauri-build takes its folder.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json")).expect("tauri build step");
}
