//! The executor behind every Promise a `Cache` method returns.
//!
//! wasm-bindgen-futures' `future_to_promise` polls a woken task in a later
//! microtask. Here a task woken with no task being polled (an IndexedDB
//! event's listener, a settled JS promise's callback: the top of the stack)
//! is polled at once, inside that callback: a get's frame is checked and its
//! Promise settled in the `success` event itself, as a promisified request
//! (idb-keyval's) settles it, instead of one microtask turn and one queue
//! run later. A wake during a poll (a task waking itself or another) is
//! queued and run from one microtask, so a poll never re-enters another.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// The future behind a returned Promise, boxed: one instance of this code
/// for every method keeps the .wasm smaller.
pub(crate) type JsTask = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

#[wasm_bindgen(module = "/src/js/task.js")]
extern "C" {
    /// A new Promise for task `id`.
    fn deferred(id: usize) -> Promise;
    /// Settle task `id`'s Promise with `value`: resolved if `ok`, else rejected.
    fn settle(id: usize, ok: bool, value: JsValue);
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &JsValue);
}

struct Task {
    /// Where the executor keeps it: what its waker names.
    id: usize,
    waker: Waker,
    /// `None` while it is being polled, and once it has finished.
    future: RefCell<Option<JsTask>>,
    /// It has a Promise to settle (`spawn`'s tasks have none).
    settles: bool,
    /// Already in the queue: a second wake adds nothing.
    queued: Cell<bool>,
}

/// A task's waker names it by its slot, which is `Send` and `Sync` as a
/// `Waker` must be: the tasks themselves (JS values, `Rc`s) stay in the
/// executor of this thread. A stale id wakes the slot's next task for
/// nothing; a spurious poll is harmless.
struct Handle(usize);

impl Wake for Handle {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let id = self.0;
        EXECUTOR.with(|ex| {
            let task = ex.tasks.borrow().get(id).cloned().flatten();
            if let Some(task) = task {
                ex.wake(task);
            }
        });
    }
}

#[derive(Default)]
struct Executor {
    /// The unfinished tasks, by id; `free` holds the empty slots.
    tasks: RefCell<Vec<Option<Rc<Task>>>>,
    free: RefCell<Vec<usize>>,
    /// A task is being polled: a wake now is queued, not run.
    polling: Cell<bool>,
    queue: RefCell<VecDeque<Rc<Task>>>,
    /// The microtask callback that runs the queue, made once.
    drain: RefCell<Option<JsValue>>,
}

thread_local! {
    static EXECUTOR: Executor = Executor::default();
}

/// The Promise of `future`, polled once at once: a call that needs no wait
/// (the memory tier, a closed cache, bad input) returns a settled Promise.
pub(crate) fn promise(future: JsTask) -> Promise {
    EXECUTOR.with(|ex| {
        let task = ex.add(None, true);
        let mut future = future;
        let first = ex.guarded(|| future.as_mut().poll(&mut Context::from_waker(&task.waker)));
        match first {
            Poll::Ready(out) => {
                ex.remove(&task);
                match out {
                    Ok(v) => Promise::resolve(&v),
                    Err(e) => Promise::reject(&e),
                }
            }
            Poll::Pending => {
                *task.future.borrow_mut() = Some(future);
                deferred(task.id)
            }
        }
    })
}

/// Run `future` to its end from a microtask, its outcome dropped: a
/// background job, started after the call that spawns it has settled.
pub(crate) fn spawn(future: JsTask) {
    EXECUTOR.with(|ex| {
        let task = ex.add(Some(future), false);
        ex.enqueue(task);
    });
}

impl Executor {
    fn add(&self, future: Option<JsTask>, settles: bool) -> Rc<Task> {
        let id = self.free.borrow_mut().pop().unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        let task = Rc::new(Task {
            id,
            waker: Waker::from(Arc::new(Handle(id))),
            future: RefCell::new(future),
            settles,
            queued: Cell::new(false),
        });
        self.tasks.borrow_mut()[id] = Some(Rc::clone(&task));
        task
    }

    fn remove(&self, task: &Task) {
        self.tasks.borrow_mut()[task.id] = None;
        self.free.borrow_mut().push(task.id);
    }

    /// Run `f` as the poll in progress: wakes during it are queued.
    fn guarded<T>(&self, f: impl FnOnce() -> T) -> T {
        let was = self.polling.replace(true);
        let out = f();
        self.polling.set(was);
        out
    }

    fn wake(&self, task: Rc<Task>) {
        if self.polling.get() {
            self.enqueue(task);
        } else {
            self.guarded(|| self.run(&task));
        }
    }

    fn enqueue(&self, task: Rc<Task>) {
        if task.queued.replace(true) {
            return;
        }
        let mut queue = self.queue.borrow_mut();
        queue.push_back(task);
        if queue.len() == 1 {
            let mut drain = self.drain.borrow_mut();
            let f = drain
                .get_or_insert_with(|| Closure::<dyn FnMut()>::new(drain_queue).into_js_value());
            queue_microtask(f);
        }
    }

    /// Poll `task` if it has not finished; settle its Promise when it does.
    fn run(&self, task: &Rc<Task>) {
        let Some(mut future) = task.future.borrow_mut().take() else {
            return;
        };
        match future.as_mut().poll(&mut Context::from_waker(&task.waker)) {
            Poll::Pending => *task.future.borrow_mut() = Some(future),
            Poll::Ready(out) => {
                drop(future);
                // Settled before its id is free for another task.
                if task.settles {
                    match out {
                        Ok(v) => settle(task.id, true, v),
                        Err(e) => settle(task.id, false, e),
                    }
                }
                self.remove(task);
            }
        }
    }
}

fn drain_queue() {
    EXECUTOR.with(|ex| {
        loop {
            // Taken one at a time, the queue not borrowed while it runs: a
            // task run here may queue others.
            let next = ex.queue.borrow_mut().pop_front();
            let Some(task) = next else { break };
            task.queued.set(false);
            ex.guarded(|| ex.run(&task));
        }
    });
}
