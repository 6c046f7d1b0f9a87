//! An append-only list of records with a lock of its own, for the paced input threads: they run
//! under SCHED_FIFO and must not wait for a lock that a normal-priority thread (a channel
//! reader, the damage watcher) might hold while preempted. Readers copy what is new.

use std::sync::{Arc, Mutex, MutexGuard};

/// Shared, append-only records; clones share the same list.
#[derive(Debug)]
pub struct Journal<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Journal<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T> Clone for Journal<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Clone> Journal<T> {
    /// A poisoned lock is recovered: a panic elsewhere must not lose the measurements.
    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one record.
    pub fn push(&self, record: T) {
        self.lock().push(record);
    }

    /// Records so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The records from index `from` on (none past the end).
    pub fn since(&self, from: usize) -> Vec<T> {
        self.lock().get(from..).unwrap_or_default().to_vec()
    }

    /// Every record.
    pub fn all(&self) -> Vec<T> {
        self.since(0)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn clones_share_one_list_and_readers_take_what_is_new() {
        let a = Journal::default();
        let b = a.clone();
        a.push(1);
        b.push(2);
        assert_eq!((a.len(), a.all()), (2, vec![1, 2]));
        assert_eq!(a.since(1), vec![2]);
        assert!(a.since(9).is_empty());
        assert!(Journal::<u8>::default().is_empty());
    }
}
