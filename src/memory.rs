//! What the process asks of glibc's allocator so that its memory stays flat over weeks of
//! background passes (`bench soak` measures it).
//!
//! glibc gives each thread that meets a locked arena an arena of its own (up to eight per
//! core), and memory freed in one arena serves only that arena. Over a month of passes the
//! index writer's, the scheduler's and tantivy's threads each kept their own free pieces:
//! what the soak measured besides SQLite's cache moved by −5 % to +26 % over quiet weekends
//! while what was allocated stayed flat. Two arenas (the value commonly given to
//! MALLOC_ARENA_MAX for this) still let one weekend grow by a fifth; one arena kept every
//! weekend within +4 to +8 % in two runs, and held less. Its price, one lock for every thread's
//! allocations, is small here: each thread's small blocks come from its own cache (tcache)
//! without the lock, and a rebuild of the 100k index took as long (10.8–12.1 s in three runs,
//! 9.5–23.6 s with two arenas, on a shared machine).

/// Makes every thread allocate from glibc's one main arena. Call it first thing in `main`,
/// before threads start.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator; M_ARENA_MAX is valid.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
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
