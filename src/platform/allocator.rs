//! The component's heap: an arena first, because an instance lives for one request.
//!
//! The C library's allocator (dlmalloc, what Rust's `System` is inside a WASI
//! component) is built for a long-lived process: it keeps its heap compact with
//! boundary tags, bins and coalescing, and sets itself up on its first call. Here
//! every request runs in a fresh instance whose memory is thrown away when it ends,
//! so little of that pays: measured in fuel (about one unit per instruction), its
//! set-up costs about 4,400, a `malloc` and `free` pair about 190 more than a bump
//! of a pointer, and a request makes hundreds of allocations (a `get_climb`
//! 239,700 fuel with dlmalloc, 198,396 with this).
//!
//! So [`Arena`] cuts every block from `N` bytes of its own (zeroed static memory,
//! inside the instance's initial memory, so a request does not grow its memory for
//! them) by moving a pointer forward. A freed block is taken back only when it is
//! the last one cut, and a reallocation of the last block grows or shrinks it in
//! place, which are the common cases of a temporary value and of a growing buffer;
//! any other freed block stays unused until the instance ends. Once the arena is
//! used up, or for a block it cannot hold, `System` serves the rest of the request,
//! and a block is `System`'s to free or resize exactly when it lies outside the
//! arena. A request's memory is therefore at most what dlmalloc would take plus `N`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::ptr;

/// The allocator, with `N` bytes of its own. Single-threaded: a component instance
/// has one thread.
#[repr(C, align(16))]
pub struct Arena<const N: usize> {
    bytes: UnsafeCell<[u8; N]>,
    /// How many of `bytes` are cut (freed blocks included, but for the last).
    used: Cell<usize>,
}

// SAFETY: only single-threaded targets use an `Arena` as the global allocator (see
// lib.rs), and its tests use each `Arena` from one thread.
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    #[allow(clippy::new_without_default)] // a const fn, for a `static`
    pub const fn new() -> Self {
        Self {
            bytes: UnsafeCell::new([0; N]),
            used: Cell::new(0),
        }
    }

    fn base(&self) -> usize {
        self.bytes.get() as usize
    }

    /// Whether `block` was cut from the arena (else it is `System`'s).
    fn holds(&self, block: *mut u8) -> bool {
        (block as usize).wrapping_sub(self.base()) < N
    }

    /// Whether `block`, of `size` bytes, is the last block cut.
    fn is_last(&self, block: *mut u8, size: usize) -> bool {
        block as usize + size == self.base() + self.used.get()
    }

    /// Cuts `layout` from the arena; null when it does not fit in what is left.
    fn cut(&self, layout: Layout) -> *mut u8 {
        let base = self.base();
        let align = layout.align();
        // Aligned within the address space, since `align` is a power of two and
        // `base + used` lies inside the arena.
        let start = (base + self.used.get() + align - 1) & !(align - 1);
        match start.checked_add(layout.size()) {
            Some(end) if end <= base + N => {
                self.used.set(end - base);
                start as *mut u8
            }
            _ => ptr::null_mut(),
        }
    }
}

unsafe impl<const N: usize> GlobalAlloc for Arena<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = self.cut(layout);
        if block.is_null() {
            return System.alloc(layout);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = self.cut(layout);
        if block.is_null() {
            // The C library's calloc knows when its memory is fresh, and zero.
            return System.alloc_zeroed(layout);
        }
        // A block taken back and cut again holds what it held.
        ptr::write_bytes(block, 0, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !self.holds(block) {
            return System.dealloc(block, layout);
        }
        if self.is_last(block, layout.size()) {
            self.used.set(block as usize - self.base());
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.holds(block) {
            return System.realloc(block, layout, new_size);
        }
        if self.is_last(block, layout.size()) && block as usize + new_size <= self.base() + N {
            self.used.set(block as usize + new_size - self.base());
            return block;
        }
        if new_size <= layout.size() {
            return block;
        }
        let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size());
            // Taken back if it is still the last block (it grew past the arena).
            self.dealloc(block, layout);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = 4096;

    fn arena() -> &'static Arena<N> {
        Box::leak(Box::new(Arena::new()))
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    fn filled(block: *mut u8, size: usize, byte: u8) -> bool {
        unsafe { std::slice::from_raw_parts(block, size) }
            .iter()
            .all(|b| *b == byte)
    }

    #[test]
    fn blocks_are_aligned_apart_and_keep_their_bytes() {
        let arena = arena();
        let sizes = [1, 16, 17, 300, 700, 24, 3000, 5];
        unsafe {
            let blocks: Vec<(*mut u8, Layout)> = (0..40)
                .map(|i| {
                    let layout =
                        Layout::from_size_align(sizes[i % sizes.len()], 1 << (i % 6)).unwrap();
                    let block = arena.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % layout.align(), 0);
                    ptr::write_bytes(block, i as u8, layout.size());
                    (block, layout)
                })
                .collect();
            for (i, (block, layout)) in blocks.iter().enumerate() {
                assert!(
                    filled(*block, layout.size(), i as u8),
                    "block {i} was overwritten"
                );
            }
            assert!(
                blocks.iter().any(|(b, _)| !arena.holds(*b)),
                "the arena ran out"
            );
            for (block, layout) in blocks.into_iter().rev() {
                arena.dealloc(block, layout);
            }
        }
    }

    #[test]
    fn the_last_block_is_taken_back_and_others_are_not() {
        let arena = arena();
        unsafe {
            let a = arena.alloc(layout(40));
            let b = arena.alloc(layout(40));
            assert!(arena.holds(a) && arena.holds(b) && a != b);
            arena.dealloc(a, layout(40));
            let c = arena.alloc(layout(40));
            assert!(c != a && c != b, "a is not the last block: not reused");
            arena.dealloc(c, layout(40));
            assert_eq!(arena.alloc(layout(40)), c, "the last block is reused");
        }
    }

    #[test]
    fn the_last_block_grows_in_place_and_others_move() {
        let arena = arena();
        unsafe {
            let a = arena.alloc(layout(20));
            ptr::write_bytes(a, 7, 20);
            assert_eq!(arena.realloc(a, layout(20), 200), a, "last: in place");
            let b = arena.alloc(layout(8));
            let moved = arena.realloc(a, layout(200), 300);
            assert!(
                moved != a && moved != b && filled(moved, 20, 7),
                "moved with its bytes"
            );
            assert_eq!(
                arena.realloc(moved, layout(300), 100),
                moved,
                "shrinks in place"
            );
            let outside = arena.realloc(moved, layout(100), 2 * N);
            assert!(
                !arena.holds(outside) && filled(outside, 20, 7),
                "to System, bytes kept"
            );
            let bigger = arena.realloc(outside, layout(2 * N), 4 * N);
            assert!(filled(bigger, 20, 7));
            arena.dealloc(bigger, layout(4 * N));
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused() {
        let arena = arena();
        unsafe {
            let a = arena.alloc(layout(64));
            ptr::write_bytes(a, 0xff, 64);
            arena.dealloc(a, layout(64));
            let b = arena.alloc_zeroed(layout(64));
            assert_eq!(a, b);
            assert!(filled(b, 64, 0));
            let big = arena.alloc_zeroed(layout(2 * N));
            assert!(!arena.holds(big) && filled(big, 2 * N, 0));
            arena.dealloc(big, layout(2 * N));
        }
    }
}
