//! A minimal join-all: run independent futures concurrently on the current
//! task, with no executor (the wasm stores and the conformance suite use it).

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::Poll;

/// Run every future concurrently on the current task; outputs in input order.
/// `Send` whenever the futures are.
///
/// ```
/// let out = larder_core::block_on(larder_core::join_all((1..=2).map(|n| async move { n })));
/// assert_eq!(out, [1, 2]);
/// ```
pub async fn join_all<F: Future>(futs: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (fut, slot) in futs.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
