//! What a match returns: plain subscribers and queue groups, kept apart because delivery
//! differs (every plain subscriber gets the message; one member of each queue group does).

/// The subscribers interested in one published subject.
///
/// `psubs` holds every plain (non-queue) subscription that matched, in trie order (the same
/// subscription stored twice appears twice). `qsubs` holds one [`QueueGroup`] per distinct
/// queue name: members of the same queue reached through different trie nodes (say `foo.*` and
/// `foo.bar`, both in queue `q`) are merged into one group, because the server picks one
/// member per group. A result built by the sublist never contains an empty group.
#[derive(Debug, Clone)]
pub struct MatchResult<T> {
    /// Plain subscribers: each gets a copy of the message.
    pub psubs: Vec<T>,
    /// Queue groups, one per distinct queue name: one member of each gets the message.
    pub qsubs: Vec<QueueGroup<T>>,
}

/// The members of one queue group that matched a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGroup<T> {
    /// The queue name, as given to `SUB subject queue sid`.
    pub name: Box<[u8]>,
    /// The members (at least one in a result built by the sublist).
    pub members: Vec<T>,
}

impl<T> MatchResult<T> {
    /// An empty result.
    #[must_use]
    pub const fn new() -> Self {
        MatchResult {
            psubs: Vec::new(),
            qsubs: Vec::new(),
        }
    }

    /// Whether nobody is interested (no plain subscriber and no queue member).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.psubs.is_empty() && self.qsubs.iter().all(|g| g.members.is_empty())
    }

    /// Number of matched subscriptions: plain subscribers plus all queue members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.psubs.len() + self.qsubs.iter().map(|g| g.members.len()).sum::<usize>()
    }
}

impl<T> Default for MatchResult<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> MatchResult<T> {
    /// Appends `members` to the group called `name`, creating the group if it is new.
    pub(crate) fn add_queue_members(&mut self, name: &[u8], members: &[T]) {
        match self.qsubs.iter_mut().find(|g| &*g.name == name) {
            Some(group) => group.members.extend_from_slice(members),
            None => self.qsubs.push(QueueGroup {
                name: name.into(),
                members: members.to_vec(),
            }),
        }
    }

    /// Adds one subscription (used to patch a cached result when a matching sub is inserted).
    pub(crate) fn add_sub(&mut self, queue: Option<&[u8]>, sub: &T) {
        match queue {
            None => self.psubs.push(sub.clone()),
            Some(name) => self.add_queue_members(name, std::slice::from_ref(sub)),
        }
    }
}
