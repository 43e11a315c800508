//! What the process asks of glibc's allocator so that its memory stays flat over weeks of
//! background passes (`bench soak` measures it).
//!
//! glibc gives each thread that meets a locked arena an arena of its own (up to eight per
//! core), and memory freed in one arena serves only that arena. Over a month of passes the
//! index writer's, the scheduler's and tantivy's threads each kept their own free pieces:
//! what the soak measured besides SQLite's cache moved by −5 % to +26 % over quiet weekends
//! while what was allocated stayed flat. With two arenas (the value commonly given to
//! MALLOC_ARENA_MAX for the same problem) it moved by −4 % to +8 %; with one, +5 % each
//! weekend and a third less memory, at the price of every thread taking one lock.

/// Caps glibc's arenas at two. Call it first thing in `main`, before threads start.
pub fn use_few_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator; M_ARENA_MAX is valid.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands memory the allocator keeps after frees back to the system. glibc keeps freed memory
/// in each arena until asked: after a month of passes (`bench soak`) the app held about 110
/// MiB of which about 40 were in use. The scheduler calls this after its heavy jobs (a backup
/// and its verifying restore, a pass of the time rules).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it may be called any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
