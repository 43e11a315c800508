// Casebook's desktop shell. No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    casebook::memory::use_one_arena();
    casebook_desktop::run();
}
