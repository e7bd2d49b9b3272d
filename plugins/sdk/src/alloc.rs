//! An allocator a plugin may install: one free list per power-of-two size
//! in front of the system allocator.
//!
//! In `wasm32-wasip2` the system allocator is wasi-libc's dlmalloc. A block
//! of up to [`MAX_SMALL`] bytes is here a pop from its size's list, and its
//! free a push. Freed small blocks stay on their list rather than going back
//! to the system allocator, so the memory held for them is the peak of their
//! use, with sizes rounded up to a power of two; larger blocks, and growing
//! past a power of two, go to the system allocator or copy.
//!
//! Whether that pays depends on the plugin, so it is not the default:
//! - datagen, whose records are a handful of small blocks each, spends about
//!   15% less CPU per record (`cargo bench -p weir --bench runtime`);
//! - the PostgreSQL and MySQL connectors measured the same either way;
//! - the MongoDB connector was slower (30–80% more CPU per event) and
//!   held 5 MiB more, so it keeps the system allocator.
//!
//! Install it in a plugin's crate, for wasm32 only: a plugin's native unit
//! tests run on several threads. (Not a doctest for the same reason: the
//! doctest harness has threads too.)
//!
//! ```ignore
//! #[cfg(target_arch = "wasm32")]
//! #[global_allocator]
//! // SAFETY: wasm32-wasip2 guests are single-threaded.
//! static ALLOCATOR: weir_sdk::alloc::SizeClasses = unsafe { weir_sdk::alloc::SizeClasses::new() };
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// The smallest block: room for the list's link on any target.
const MIN_SHIFT: u32 = 3;
/// The largest block served from the lists.
const MAX_SHIFT: u32 = 12;
/// Blocks of up to this many bytes come from the lists.
pub const MAX_SMALL: usize = 1 << MAX_SHIFT;
const CLASSES: usize = (MAX_SHIFT - MIN_SHIFT + 1) as usize;
/// Memory taken from the system allocator at a time, cut into blocks of one size.
const SLAB: usize = 64 * 1024;

/// Free lists by size class, over [`System`].
pub struct SizeClasses {
    /// Each class's first free block; a free block's first word links the next.
    free: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: the lists have no locks; `new`'s contract is that one thread
// only uses them.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    /// Empty lists.
    ///
    /// # Safety
    /// Only one thread may ever use the allocator: a wasm32-wasip2 guest
    /// (which has no threads), or one thread in a test.
    pub const unsafe fn new() -> Self {
        Self { free: UnsafeCell::new([ptr::null_mut(); CLASSES]) }
    }

    /// Takes a new slab for class `c`, links all of it but the first block
    /// onto the class's list and returns that first block.
    ///
    /// # Safety
    /// Single-threaded use, as for the rest of the allocator.
    #[cold]
    unsafe fn refill(&self, c: usize) -> *mut u8 {
        let block = 1usize << (c as u32 + MIN_SHIFT);
        // Aligned to the block size, so every block is aligned to its own
        // size, which covers any alignment its class admits.
        let Ok(layout) = Layout::from_size_align(SLAB, block) else { return ptr::null_mut() };
        // SAFETY: `layout` has a non-zero size.
        let slab = unsafe { System.alloc(layout) };
        if slab.is_null() {
            return slab;
        }
        // SAFETY: single-threaded (the caller's contract); every block lies
        // inside the slab and is aligned for a pointer (at least 8 bytes).
        unsafe {
            let free = &mut *self.free.get();
            for i in (1..SLAB / block).rev() {
                let b = slab.add(i * block);
                b.cast::<*mut u8>().write(free[c]);
                free[c] = b;
            }
        }
        slab
    }
}

/// The class serving `layout`, `None` when it is too large for the lists.
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    if size > MAX_SMALL {
        return None;
    }
    // The power of two at or above `size`.
    let shift = usize::BITS - (size - 1).leading_zeros();
    Some((shift - MIN_SHIFT) as usize)
}

// SAFETY: a small block is handed out once until it is freed (a list pop),
// is at least `layout.size()` bytes and aligned to its own size, which is at
// least `layout.align()`; a freed block returns to the list of the class its
// layout maps to, the one it came from. Everything else is `System`'s.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            // SAFETY: the caller's contract, passed on.
            return unsafe { System.alloc(layout) };
        };
        // SAFETY: single-threaded use; a block on a list is free and holds
        // the link to the next.
        unsafe {
            let free = &mut *self.free.get();
            let head = free[c];
            if head.is_null() {
                return self.refill(c);
            }
            free[c] = head.cast::<*mut u8>().read();
            head
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout) {
            // SAFETY: `block` came from this class's list (same layout) and
            // is no longer used, so its first word can hold the link.
            Some(c) => unsafe {
                let free = &mut *self.free.get();
                block.cast::<*mut u8>().write(free[c]);
                free[c] = block;
            },
            // SAFETY: a large block came from `System` with this layout.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if class(layout).is_none() {
            // SAFETY: the caller's contract; `System` may know the memory is zero already.
            return unsafe { System.alloc_zeroed(layout) };
        }
        // SAFETY: the caller's contract; the block has `layout.size()` bytes.
        unsafe {
            let block = self.alloc(layout);
            if !block.is_null() {
                ptr::write_bytes(block, 0, layout.size());
            }
            block
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the
        // alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            // Still fits its block.
            (Some(a), Some(b)) if a == b => block,
            // SAFETY: a large block came from `System` with `layout`.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            // SAFETY: the old block is valid for `layout.size()` bytes, the
            // new one for `new_size`; the old one is freed with its layout.
            _ => unsafe {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    ptr::copy_nonoverlapping(block, new, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                new
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_to_powers_of_two_and_large_blocks_go_to_the_system() {
        let layout = |size, align| Layout::from_size_align(size, align).expect("layout");
        assert_eq!(class(layout(1, 1)), Some(0));
        assert_eq!(class(layout(8, 8)), Some(0));
        assert_eq!(class(layout(9, 1)), Some(1));
        assert_eq!(class(layout(16, 1)), Some(1));
        assert_eq!(class(layout(4, 64)), Some(3), "alignment counts as size");
        assert_eq!(class(layout(MAX_SMALL, 8)), Some(CLASSES - 1));
        assert_eq!(class(layout(MAX_SMALL + 1, 8)), None);
    }

    #[test]
    fn blocks_are_distinct_aligned_reused_and_keep_their_bytes_across_realloc() {
        // SAFETY: used from this test's thread only.
        let a = unsafe { SizeClasses::new() };
        let mut live = Vec::new();
        // SAFETY: one thread; every block is freed with the layout it has.
        unsafe {
            for (i, (size, align)) in
                [(1, 1), (7, 1), (8, 8), (24, 8), (100, 4), (4096, 8), (4097, 8), (64, 64), (3, 1)]
                    .into_iter()
                    .cycle()
                    .take(3000)
                    .enumerate()
            {
                let layout = Layout::from_size_align(size, align).expect("layout");
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "{size} bytes aligned to {align}");
                ptr::write_bytes(p, i as u8, size);
                live.push((p, layout, i as u8));
            }
            for &(p, layout, fill) in &live {
                assert!((0..layout.size()).all(|k| *p.add(k) == fill), "a block was handed out twice");
            }
            // Grow and shrink across classes and into the system's blocks.
            for (p, layout, fill) in &mut live {
                let new_size = match layout.size() {
                    s if s < 64 => s * 5,
                    s if s > 4096 => 10,
                    s => s + 5000,
                };
                let moved = a.realloc(*p, *layout, new_size);
                let kept = layout.size().min(new_size);
                assert!((0..kept).all(|k| *moved.add(k) == *fill), "realloc kept the bytes");
                *p = moved;
                *layout = Layout::from_size_align(new_size, layout.align()).expect("layout");
            }
            for (p, layout, _) in live.drain(..) {
                a.dealloc(p, layout);
            }
            let layout = Layout::from_size_align(24, 8).expect("layout");
            let p = a.alloc(layout);
            a.dealloc(p, layout);
            assert_eq!(a.alloc(layout), p, "the block freed last is handed out next");
        }
    }
}
