//! Walking a JavaScript value from Rust with few calls across the boundary
//! (`src/js/walk.js` does the JS half): the value encoder and the key builder
//! both read values through a [`Walk`].
//!
//! Each crossing costs far more than the work of one value, so one call
//! classifies a value and writes what Rust needs (a number's 8 bytes, a
//! string's UTF-8) into a scratch buffer in wasm memory; the parts of a
//! container are read by index from a stack of open containers on the JS side
//! and never handed over one by one.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

use wasm_bindgen::prelude::*;

use crate::js::{Elem, Path, Seg, map_key_label};

#[wasm_bindgen(module = "/src/js/walk.js")]
extern "C" {
    #[wasm_bindgen(js_name = walkInit)]
    fn walk_init(memory: JsValue);
    #[wasm_bindgen(js_name = walkBegin)]
    fn walk_begin();
    #[wasm_bindgen(js_name = walkEnd)]
    fn walk_end();
    #[wasm_bindgen(js_name = walkPending)]
    fn walk_pending() -> JsValue;
    #[wasm_bindgen(js_name = walkStr)]
    fn walk_str(p: u32) -> f64;
    #[wasm_bindgen(js_name = walkKind)]
    fn walk_kind(v: &JsValue) -> f64;
    #[wasm_bindgen(js_name = walkName)]
    fn walk_name(v: &JsValue) -> i32;
    #[wasm_bindgen(js_name = walkRoot)]
    fn walk_root(v: &JsValue, p: u32, cap: u32) -> f64;
    #[wasm_bindgen(js_name = walkChild)]
    fn walk_child(i: u32, p: u32, cap: u32) -> f64;
    #[wasm_bindgen(js_name = walkKey)]
    fn walk_key(i: u32, p: u32, cap: u32) -> f64;
    #[wasm_bindgen(js_name = walkRun)]
    fn walk_run(i: u32, n: u32, p: u32, cap: u32) -> f64;
    #[wasm_bindgen(js_name = walkEnter)]
    fn walk_enter(kind: u32) -> f64;
    #[wasm_bindgen(js_name = walkLeave)]
    fn walk_leave();
    #[wasm_bindgen(js_name = walkCopy)]
    fn walk_copy(p: u32, n: u32);
    #[wasm_bindgen(js_name = walkKeyAt)]
    fn walk_key_at(depth: u32, i: u32) -> JsValue;
    #[wasm_bindgen(js_name = walkItemAt)]
    fn walk_item_at(depth: u32, i: u32) -> JsValue;
}

/// The codes walk.js answers with (`code + 32 * n`).
mod code {
    pub const UNDEFINED: u64 = 0;
    pub const NULL: u64 = 1;
    pub const FALSE: u64 = 2;
    pub const TRUE: u64 = 3;
    pub const NUMBER: u64 = 4;
    pub const STR: u64 = 5;
    pub const STR16: u64 = 6;
    pub const BIGINT: u64 = 7;
    pub const SYMBOL: u64 = 8;
    pub const FUNCTION: u64 = 9;
    pub const ARRAY: u64 = 10;
    pub const PLAIN: u64 = 11;
    pub const MAP: u64 = 12;
    pub const SET: u64 = 13;
    pub const DATE: u64 = 14;
    pub const ARRAY_BUFFER: u64 = 15;
    pub const VIEW: u64 = 16;
    // 17: any other object.
    pub const THREW: u64 = 18;
    pub const SPACE: u64 = 19;
    pub const END: u64 = 20;
    pub const FULL: u64 = 21;
    pub const SLOW: u64 = 22;
}

/// What a value is, with what Rust needs of it.
pub(crate) enum Item {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    /// A string: [`Walk::text`] holds its UTF-8, or (`utf16`, when a lone
    /// surrogate leaves it no UTF-8 form) its code units, little-endian.
    Str {
        utf16: bool,
    },
    BigInt(JsValue),
    Symbol,
    Function,
    Array,
    Plain,
    Map,
    Set,
    /// A Date, by `getTime()`.
    Date(f64),
    /// An ArrayBuffer of this many bytes ([`Walk::copy_bytes`] reads them).
    ArrayBuffer(usize),
    /// A typed array or DataView viewing this many bytes.
    View(Elem, usize),
    /// Any other object.
    Other(JsValue),
    /// Reading the value threw (a getter, a revoked Proxy): the error.
    Threw(JsValue),
}

/// A container to open: how its parts are numbered.
#[derive(Clone, Copy)]
pub(crate) enum Container {
    /// Parts 0..n are its elements.
    Array,
    /// Parts 0..n are the values of its own enumerable string keys, in
    /// `Object.keys` order; [`Walk::key`] reads the keys.
    Plain,
    /// Parts 0..n are key, value, key, value, ... in insertion order.
    Map,
    /// Parts 0..n are its members in insertion order.
    Set,
}

/// One step of a walk into a container, by position: names are read only
/// when a message needs them ([`Walk::path`]).
#[derive(Clone, Copy)]
pub(crate) enum Step {
    Index(usize),
    /// The value of the i-th own key.
    Prop(usize),
    /// The key of the i-th Map entry.
    MapKey(usize),
    /// The value of the i-th Map entry.
    MapValue(usize),
    SetItem(usize),
}

/// How a [`Walk::run`] ended.
pub(crate) enum Run {
    /// No parts left.
    End,
    /// The room ran out before part `j`: run again from there.
    Full(usize),
    /// Part `j` is a string too large for the room: read it (and its key)
    /// with [`Walk::key`] and [`Walk::child`].
    Slow(usize),
    /// Part `j` is not a primitive: this is what it is (its key, for a plain
    /// object, is already written).
    Part(usize, Item),
}

/// Why a container could not be opened.
pub(crate) enum EnterError {
    /// It is already open: the value contains itself.
    Cycle,
    /// Listing its parts threw (a Proxy, a patched `entries`): the error.
    Threw(JsValue),
}

/// Scratch room kept between walks: enough for most strings.
const ROOM: usize = 16 * 1024;
/// A larger scratch buffer (grown for one long string) is not kept.
const KEEP: usize = 1 << 20;

thread_local! {
    static READY: Cell<bool> = const { Cell::new(false) };
    /// The buffers of the last walk, for the next (a walk started inside a
    /// getter of another finds none and makes its own).
    static SPARE: RefCell<(Vec<u8>, Vec<Step>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

fn ready() {
    if !READY.get() {
        walk_init(wasm_bindgen::memory());
        READY.set(true);
    }
}

fn split(r: f64) -> (u64, u64) {
    let r = r as u64;
    (r & 31, r >> 5)
}

/// `v` as a name (a namespace, a tag, a cache name): `None` if it is not a
/// string, `Some(Err(()))` if it has a lone surrogate. Such a string has no
/// UTF-8 form; `as_string` would turn it into U+FFFD, making two different
/// names one, so it is refused instead.
pub(crate) fn name(v: &JsValue) -> Option<Result<String, ()>> {
    match walk_name(v) {
        1 => v.as_string().map(Ok),
        0 => Some(Err(())),
        _ => None,
    }
}

/// The kind of `v`, in one call, for type checks: a number's or a Date's
/// value is not read (NaN), nor a string's text.
pub(crate) fn kind(v: &JsValue) -> Item {
    ready();
    let (c, n) = split(walk_kind(v));
    match c {
        code::NUMBER => Item::Number(f64::NAN),
        code::STR => Item::Str { utf16: false },
        code::DATE => Item::Date(f64::NAN),
        _ => simple(c, n),
    }
}

/// The items a code alone makes.
fn simple(c: u64, n: u64) -> Item {
    match c {
        code::UNDEFINED => Item::Undefined,
        code::NULL => Item::Null,
        code::FALSE => Item::Bool(false),
        code::TRUE => Item::Bool(true),
        code::BIGINT => Item::BigInt(walk_pending()),
        code::SYMBOL => Item::Symbol,
        code::FUNCTION => Item::Function,
        code::ARRAY => Item::Array,
        code::PLAIN => Item::Plain,
        code::MAP => Item::Map,
        code::SET => Item::Set,
        code::ARRAY_BUFFER => Item::ArrayBuffer(n as usize),
        code::VIEW => match Elem::from_tag((n & 15) as u8) {
            Some(e) => Item::View(e, (n >> 4) as usize),
            None => Item::Other(walk_pending()),
        },
        code::THREW => Item::Threw(walk_pending()),
        _ => Item::Other(walk_pending()),
    }
}

/// One walk over a value: [`root`](Walk::root), then [`enter`](Walk::enter)
/// each container met and read its parts with [`child`](Walk::child) (and
/// [`key`](Walk::key)), [`leave`](Walk::leave) when done. Dropping the walk
/// closes whatever is still open (after an error).
pub(crate) struct Walk {
    scratch: Vec<u8>,
    /// Where the part being read sits, for messages ([`Walk::path`]).
    pub(crate) steps: Vec<Step>,
    /// Where in `scratch` the last item's bytes are, and how many.
    at: usize,
    len: usize,
}

impl Walk {
    pub(crate) fn new() -> Walk {
        ready();
        walk_begin();
        let (mut scratch, mut steps) = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if scratch.len() < ROOM {
            scratch.resize(ROOM, 0);
        }
        steps.clear();
        Walk {
            scratch,
            steps,
            at: 0,
            len: 0,
        }
    }

    fn room(&mut self) -> (u32, u32) {
        (
            self.scratch.as_mut_ptr() as usize as u32,
            self.scratch.len() as u32,
        )
    }

    /// Classify `v` (the value the walk starts from).
    pub(crate) fn root(&mut self, v: &JsValue) -> Item {
        let (p, cap) = self.room();
        let r = walk_root(v, p, cap);
        self.item(r)
    }

    /// Classify part `i` of the innermost open container.
    pub(crate) fn child(&mut self, i: usize) -> Item {
        let (p, cap) = self.room();
        let r = walk_child(i as u32, p, cap);
        self.item(r)
    }

    /// Read the `i`-th key of the innermost open container, a plain object:
    /// always an [`Item::Str`].
    pub(crate) fn key(&mut self, i: usize) -> Item {
        let (p, cap) = self.room();
        let r = walk_key(i as u32, p, cap);
        self.item(r)
    }

    /// Append to `out` a run of the parts of the innermost open container,
    /// from part `i` of `n`: the primitives among them, written as codec 2 by
    /// the JS side, up to the first part that is not one.
    pub(crate) fn run(&mut self, i: usize, n: usize, out: &mut Vec<u8>) -> Run {
        let (p, cap) = self.room();
        let r = walk_run(i as u32, n as u32, p, cap);
        let word = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&self.scratch[at..at + 4]);
            u32::from_le_bytes(b) as usize
        };
        let (bytes, done) = (word(0), word(4));
        out.extend_from_slice(self.scratch.get(8..8 + bytes).unwrap_or_default());
        let j = i + done;
        let (c, m) = split(r);
        match c {
            code::END => Run::End,
            code::FULL => Run::Full(j),
            code::SLOW => Run::Slow(j),
            _ => {
                self.at = 8 + bytes;
                Run::Part(j, self.decode(c, m))
            }
        }
    }

    fn item(&mut self, r: f64) -> Item {
        let (mut c, mut n) = split(r);
        if c == code::SPACE {
            self.scratch.resize(n as usize, 0);
            let (p, _) = self.room();
            (c, n) = split(walk_str(p));
        }
        self.at = 0;
        self.decode(c, n)
    }

    /// The item for code `c` (and its `n`); its bytes are at `self.at`.
    fn decode(&mut self, c: u64, n: u64) -> Item {
        match c {
            code::NUMBER | code::DATE => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.scratch[self.at..self.at + 8]);
                let x = f64::from_le_bytes(b);
                if c == code::NUMBER {
                    Item::Number(x)
                } else {
                    Item::Date(x)
                }
            }
            code::STR => {
                self.len = n as usize;
                Item::Str { utf16: false }
            }
            code::STR16 => {
                self.len = 2 * n as usize;
                Item::Str { utf16: true }
            }
            _ => simple(c, n),
        }
    }

    /// The text of the last [`Item::Str`].
    pub(crate) fn text(&self) -> &[u8] {
        &self.scratch[self.at..self.at + self.len]
    }

    /// Open the container just classified by `root` or `child`; its number
    /// of parts.
    pub(crate) fn enter(&mut self, kind: Container) -> Result<usize, EnterError> {
        let c = match kind {
            Container::Array => code::ARRAY,
            Container::Plain => code::PLAIN,
            Container::Map => code::MAP,
            Container::Set => code::SET,
        };
        let n = walk_enter(c as u32);
        if n == -1.0 {
            Err(EnterError::Cycle)
        } else if n < 0.0 {
            Err(EnterError::Threw(walk_pending()))
        } else {
            Ok(n as usize)
        }
    }

    /// Close the innermost open container.
    pub(crate) fn leave(&mut self) {
        walk_leave();
    }

    /// Append the `n` bytes of the ArrayBuffer or view just classified to `out`.
    pub(crate) fn copy_bytes(&mut self, out: &mut Vec<u8>, n: usize) {
        let at = out.len();
        out.resize(at + n, 0);
        walk_copy(out[at..].as_mut_ptr() as usize as u32, n as u32);
    }

    /// Where the part reached by [`steps`](Walk::steps) sits, for a message:
    /// call it before leaving any container (the names of keys are read from
    /// them).
    pub(crate) fn path(&self, root: &Root) -> Path {
        let mut path = Path::new(root.to_string());
        for (depth, step) in self.steps.iter().enumerate() {
            let d = depth as u32;
            path.push(match *step {
                Step::Index(i) => Seg::Index(i),
                Step::Prop(i) => {
                    Seg::Prop(walk_key_at(d, i as u32).as_string().unwrap_or_default())
                }
                Step::MapKey(i) => Seg::MapKey(i),
                Step::MapValue(i) => {
                    Seg::MapValue(map_key_label(&walk_item_at(d, 2 * i as u32), i))
                }
                Step::SetItem(i) => Seg::SetItem(i),
            });
        }
        path
    }
}

/// What a walked value is called in error messages: a name (`"value"`), or
/// an item of a list (`setMany: entries[3][1]`), written out only when a
/// message needs it, not once per item of every batch.
pub(crate) enum Root {
    Name(Cow<'static, str>),
    Item {
        list: &'static str,
        index: usize,
        tail: &'static str,
    },
}

impl From<&'static str> for Root {
    fn from(name: &'static str) -> Self {
        Root::Name(Cow::Borrowed(name))
    }
}

impl From<String> for Root {
    fn from(name: String) -> Self {
        Root::Name(Cow::Owned(name))
    }
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Root::Name(name) => f.write_str(name),
            Root::Item { list, index, tail } => write!(f, "{list}[{index}]{tail}"),
        }
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        walk_end();
        if self.scratch.len() <= KEEP {
            let spare = (
                std::mem::take(&mut self.scratch),
                std::mem::take(&mut self.steps),
            );
            SPARE.with(|s| *s.borrow_mut() = spare);
        }
    }
}
