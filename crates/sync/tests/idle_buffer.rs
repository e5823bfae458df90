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

/// Merging into a replica with no peer joins the incoming state as it is: the buffer
/// would drop its copy at once, so none is made. (Before, `merge` copied every
/// incoming state for the buffer: for a decoded document merged into another, the
/// copy and its drop were a twentieth of the work.)
#[test]
fn a_merge_with_no_peer_behind_copies_nothing_for_the_buffer(
) -> Result<(), Box<dyn std::error::Error>> {
    use converge_core::testing::hostile::allocated_during;
    use converge_core::Lattice;

    let _guard = exclusive();
    let mut incoming = GCounter::default();
    for writer in 1..=2_000 {
        incoming.increment(ReplicaId::new(writer), writer)?;
    }
    let id: ReplicaId = "00000000000000a1".parse()?;
    let mut replica = Replica::new(id, GCounter::default())?;
    let (copy, copy_bytes) = allocated_during(&ALLOCATOR, || incoming.clone());
    let mut bare = GCounter::default();
    let ((), join_bytes) = allocated_during(&ALLOCATOR, || bare.join(copy));
    let (_, merge_bytes) = allocated_during(&ALLOCATOR, || replica.merge(incoming));
    assert_eq!(replica.state(), &bare);
    assert_eq!(replica.buffer_depth(), 0);
    assert!(
        merge_bytes < join_bytes + copy_bytes / 2,
        "the merge allocated {merge_bytes} bytes: the join takes {join_bytes}, a copy {copy_bytes}"
    );
    Ok(())
}
