// Casebook's desktop shell. No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    casebook::memory::use_few_arenas();
    casebook_desktop::run();
}
