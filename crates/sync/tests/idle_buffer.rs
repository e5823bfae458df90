//! A replica whose buffer is empty (no peer behind it, the usual case for most
//! documents most of the time) holds no heap for buffer slots: what it holds on the
//! heap is its state, and nothing more. Issue 15 (small documents): the buffer's
//! `VecDeque` kept the capacity of its first push forever, the largest part of what a
//! small document held beside its state.

use converge_core::testing::hostile::{counting_allocator, exclusive, CountingAllocator};
use converge_core::ReplicaId;
use converge_gcounter::GCounter;
use converge_sync::Replica;

#[global_allocator]
static ALLOCATOR: CountingAllocator = counting_allocator();

#[test]
fn a_replica_with_an_empty_buffer_holds_only_its_state() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = exclusive();
    let id: ReplicaId = "00000000000000a1".parse()?;
    let before = ALLOCATOR.allocated();
    let mut replica = Replica::new(id, GCounter::default())?;
    for _ in 0..3 {
        replica.try_update(|counter, me| counter.increment(me, 1))?;
    }
    assert_eq!(replica.buffer_depth(), 0, "no peer: nothing stays buffered");
    let held = ALLOCATOR.allocated() - before;
    let state = replica.state().clone();
    let state_bytes = ALLOCATOR.allocated() - before - held;
    drop(state);
    assert_eq!(
        held, state_bytes,
        "the replica holds {held} bytes for a state of {state_bytes}"
    );
    Ok(())
}
