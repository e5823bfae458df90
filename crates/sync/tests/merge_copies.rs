//! Merging into a replica with no peer behind it copies nothing for the buffer (issue
//! 16, decode + merge). Its own test binary: the allocation counter is global, and a
//! second test in one binary lets the harness allocate and free beside the measured
//! one (the idle-buffer test's count went below its start when this test shared its
//! binary).

use converge_core::testing::hostile::{counting_allocator, exclusive, CountingAllocator};
use converge_core::ReplicaId;
use converge_gcounter::GCounter;
use converge_sync::Replica;

#[global_allocator]
static ALLOCATOR: CountingAllocator = counting_allocator();

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
