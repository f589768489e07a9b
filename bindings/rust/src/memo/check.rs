//! Compile-time checks for the generated code. The macro emits, per
//! argument, a function named after it whose bound says what it needs (so
//! the error names the argument); these are the traits it names. The key is
//! then built through [`Part`] by autoref specialization: when an
//! argument's check fails, the key code still type-checks (with a stand-in
//! that is never run, since the crate does not compile), so the user sees
//! one error, not three.

use std::path::Path;

pub use serde::Serialize;
pub use serde::de::DeserializeOwned;

use crate::content::Content;

/// An argument on its way into the key.
pub struct Part<'a, T: ?Sized>(pub &'a T);
/// A content argument on its way into the key.
pub struct PathPart<'a, T: ?Sized>(pub &'a T);

/// Stands for an argument that cannot be keyed (only in code that fails
/// to compile anyway).
pub struct Unkeyable;

impl Serialize for Unkeyable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

pub trait Keyed<'a, T: ?Sized> {
    fn key_part(&self) -> &'a T;
}

impl<'a, T: Serialize + ?Sized> Keyed<'a, T> for &Part<'a, T> {
    fn key_part(&self) -> &'a T {
        self.0
    }
}

pub trait ContentKeyed<'a, T: ?Sized> {
    fn key_part(&self) -> Content<&'a T>;
}

impl<'a, T: AsRef<Path> + ?Sized> ContentKeyed<'a, T> for &PathPart<'a, T> {
    fn key_part(&self) -> Content<&'a T> {
        Content(self.0)
    }
}

pub trait NotKeyed {
    fn key_part(&self) -> &'static Unkeyable {
        &Unkeyable
    }
}

impl<T: ?Sized> NotKeyed for Part<'_, T> {}
impl<T: ?Sized> NotKeyed for PathPart<'_, T> {}

/// Names the parts of a `Result` however it is spelled (`io::Result<T>`...).
pub trait IsResult {
    type Ok;
    type Err;
}

impl<T, E> IsResult for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// The return type, to call through the cache when it can be stored
/// (and through a stand-in that is never run when it cannot, so that the
/// only error is the spanned check's).
pub struct Ret<R>(std::marker::PhantomData<fn() -> R>);

impl<R> Ret<R> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Ret(std::marker::PhantomData)
    }
}

use std::fmt::Display;
use std::future::Future;

use super::Call;

pub trait Storable<T> {
    fn value<F, Fut>(&self, call: Call<'_>, refresh: bool, f: F) -> impl Future<Output = T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>;
    fn value_swr<F, Fut>(&self, call: Call<'_>, blocking: bool, f: F) -> impl Future<Output = T>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static;
}

impl<T: Serialize + DeserializeOwned> Storable<T> for &Ret<T> {
    fn value<F, Fut>(&self, call: Call<'_>, refresh: bool, f: F) -> impl Future<Output = T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        call.value(refresh, f)
    }
    fn value_swr<F, Fut>(&self, call: Call<'_>, blocking: bool, f: F) -> impl Future<Output = T>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        call.value_swr(blocking, f)
    }
}

pub trait StorableResult<T, E> {
    fn result<F, Fut>(
        &self,
        call: Call<'_>,
        refresh: bool,
        f: F,
    ) -> impl Future<Output = Result<T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>;
    fn result_swr<F, Fut>(
        &self,
        call: Call<'_>,
        blocking: bool,
        f: F,
    ) -> impl Future<Output = Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static;
}

impl<T, E> StorableResult<T, E> for &Ret<Result<T, E>>
where
    T: Serialize + DeserializeOwned,
    E: From<crate::Error> + Display,
{
    fn result<F, Fut>(
        &self,
        call: Call<'_>,
        refresh: bool,
        f: F,
    ) -> impl Future<Output = Result<T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        call.result(refresh, f)
    }
    fn result_swr<F, Fut>(
        &self,
        call: Call<'_>,
        blocking: bool,
        f: F,
    ) -> impl Future<Output = Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        call.result_swr(blocking, f)
    }
}

/// The stand-in: selected only when the return type cannot be stored, in
/// code that the failed check keeps from compiling.
pub trait NotStorable<R> {
    fn value<F: FnOnce() -> Fut, Fut: Future<Output = R>>(
        &self,
        _: Call<'_>,
        _: bool,
        f: F,
    ) -> Fut {
        f()
    }
    fn value_swr<F: FnOnce() -> Fut, Fut: Future<Output = R>>(
        &self,
        _: Call<'_>,
        _: bool,
        f: F,
    ) -> Fut {
        f()
    }
    fn result<F: FnOnce() -> Fut, Fut: Future<Output = R>>(
        &self,
        _: Call<'_>,
        _: bool,
        f: F,
    ) -> Fut {
        f()
    }
    fn result_swr<F: FnOnce() -> Fut, Fut: Future<Output = R>>(
        &self,
        _: Call<'_>,
        _: bool,
        f: F,
    ) -> Fut {
        f()
    }
}

impl<R> NotStorable<R> for Ret<R> {}
