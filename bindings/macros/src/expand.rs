//! What `#[memoize]` turns a function into: the function itself, calling its
//! original body (moved into a hidden sibling) through the cache, and two
//! companions, `<name>_refresh` and `<name>_forget`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericParam, Ident, ItemFn, Lit, Pat, ReceiverKind,
    ReturnType, Signature, Type,
};

use crate::hash::code_hash;
use crate::options::Options;

/// A named argument of the function.
struct Arg {
    ident: Ident,
    ty: Type,
    span: Span,
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

/// Whether the return type is spelled `Result<..>` (any path ending so).
fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
        Type::Paren(p) => is_result(&p.elem),
        Type::Group(g) => is_result(&g.elem),
        _ => false,
    }
}

/// Attributes every generated item needs too: conditional compilation and lint levels.
fn shared_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    const SHARED: [&str; 7] = [
        "cfg", "cfg_attr", "allow", "warn", "deny", "expect", "forbid",
    ];
    attrs
        .iter()
        .filter(|a| SHARED.iter().any(|s| a.path().is_ident(s)))
        .collect()
}

fn args_of(sig: &Signature) -> syn::Result<Vec<Arg>> {
    let mut out = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        match &*pt.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => out.push(Arg {
                ident: pi.ident.clone(),
                ty: (*pt.ty).clone(),
                span: pt.span(),
            }),
            other => {
                return err(
                    other.span(),
                    "memoize needs each argument to be a plain name (`name: Type`), since \
                     names key the cache; destructure it inside the function",
                );
            }
        }
    }
    Ok(out)
}

/// The signature callers see: argument patterns without `mut` (only the
/// hidden body needs it).
fn outer_signature(sig: &Signature) -> Signature {
    let mut sig = sig.clone();
    for input in &mut sig.inputs {
        if let FnArg::Typed(pt) = input {
            if let Pat::Ident(pi) = &mut *pt.pat {
                pi.mutability = None;
            }
        }
    }
    sig
}

fn check_names(list: &[Ident], args: &[Arg], option: &str, fn_name: &Ident) -> syn::Result<()> {
    for name in list {
        if !args.iter().any(|a| a.ident == *name) {
            let known: Vec<String> = args.iter().map(|a| a.ident.to_string()).collect();
            let known = if known.is_empty() {
                "it has none".to_owned()
            } else {
                format!("its arguments are: {}", known.join(", "))
            };
            return err(
                name.span(),
                format!("{option}: `{name}` is not an argument of `{fn_name}` ({known})"),
            );
        }
    }
    Ok(())
}

fn check(opts: &Options, sig: &Signature, args: &[Arg]) -> syn::Result<()> {
    let name = &sig.ident;
    if let Some(c) = &sig.constness {
        return err(c.span(), "memoize cannot cache a `const fn`");
    }
    if let Some(v) = &sig.variadic {
        return err(v.span(), "memoize cannot cache a variadic function");
    }
    check_names(&opts.ignore, args, "ignore", name)?;
    check_names(&opts.content, args, "content", name)?;
    if let Some(both) = opts.content.iter().find(|c| opts.ignore.contains(c)) {
        return err(
            both.span(),
            format!("`{both}` is both ignored and keyed by its content"),
        );
    }
    if opts.key.is_some() {
        for option in ["ignore", "content"] {
            if opts.spans.iter().any(|(n, _)| n == option) {
                return err(
                    opts.span_of(option),
                    format!(
                        "`{option}` has no effect with `key = ...`, which replaces the arguments in the key"
                    ),
                );
            }
        }
    }
    if let Some(stale) = &opts.stale {
        if opts.ttl.is_none() {
            return err(
                stale.span,
                "stale_while_revalidate needs a ttl: an entry without one never goes stale",
            );
        }
        if let Some(r) = sig.receiver() {
            if matches!(r.kind, ReceiverKind::Reference(..)) {
                return err(
                    r.span(),
                    "with stale_while_revalidate the refresh runs after the call returns, so the \
                     function cannot borrow `self`",
                );
            }
        }
        if let Some(a) = args.iter().find(|a| matches!(a.ty, Type::Reference(_))) {
            return err(
                a.span,
                format!(
                    "with stale_while_revalidate the refresh runs after the call returns, so \
                     arguments must be owned: `{}` borrows",
                    a.ident
                ),
            );
        }
    }
    if let ReturnType::Type(_, t) = &sig.output {
        if let Type::ImplTrait(_) = &**t {
            return err(
                t.span(),
                "memoize needs a concrete return type to store (`impl Trait` hides it)",
            );
        }
        if opts.cache_err == Some(true) && !is_result(t) {
            return err(
                opts.span_of("cache_err"),
                "cache_err applies to functions returning `Result`",
            );
        }
    }
    Ok(())
}

pub(crate) fn expand(opts: Options, f: ItemFn) -> syn::Result<TokenStream> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = f;
    let args = args_of(&sig)?;
    check(&opts, &sig, &args)?;
    let name = &sig.ident;
    let name_str = name.to_string();
    let is_async = sig.asyncness.is_some();
    let receiver = sig.receiver();
    let ret: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, t) => (**t).clone(),
    };
    let result_mode = opts.cache_err != Some(true) && is_result(&ret);

    // The spec: what is fixed at compile time.
    let namespace = match &opts.namespace {
        Some(ns) => quote!(#ns),
        None => quote!(::core::concat!(::core::module_path!(), "::", #name_str)),
    };
    let version = opts.version.unwrap_or(0);
    let code = if opts.code_hash == Some(false) {
        quote!(::core::option::Option::None)
    } else {
        let h = code_hash(quote!(#sig #block));
        quote!(::core::option::Option::Some(#h))
    };
    let ms = |m: &Option<crate::options::Millis>| match m {
        Some(m) => {
            let v = m.ms;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let (ttl, stale) = (ms(&opts.ttl), ms(&opts.stale));
    let is_lit = |t: &&Expr| {
        matches!(
            t,
            Expr::Lit(ExprLit {
                lit: Lit::Str(_),
                ..
            })
        )
    };
    let static_tags: Vec<&Expr> = opts.tags.iter().filter(is_lit).collect();
    let dyn_tags: Vec<&Expr> = opts.tags.iter().filter(|t| !is_lit(t)).collect();
    let spec = quote! {
        static __LARDER_SPEC: ::larder::memo::Spec = ::larder::memo::Spec {
            name: #name_str,
            namespace: #namespace,
            version: #version,
            code: #code,
            ttl_ms: #ttl,
            stale_ms: #stale,
            tags: &[#(#static_tags),*],
            options: ::std::sync::OnceLock::new(),
            warned: ::std::sync::atomic::AtomicBool::new(false),
        };
    };

    // The key, from the arguments (or `key = ...`).
    let key = match &opts.key {
        Some(k) => quote!(::larder::memo::custom_key(&__LARDER_SPEC, &(#k))),
        None => {
            let mut fields = Vec::new();
            if receiver.is_some() {
                fields.push(quote!(.arg("$type", ::core::any::type_name::<Self>())));
            }
            for a in args.iter().filter(|a| !opts.ignore.contains(&a.ident)) {
                let (id, n) = (&a.ident, a.ident.to_string());
                fields.push(if opts.content.contains(id) {
                    quote!(.arg(#n, &(&&::larder::memo::check::PathPart(&#id)).key_part()))
                } else {
                    quote!(.arg(#n, (&&::larder::memo::check::Part(&#id)).key_part()))
                });
            }
            quote!({
                #[allow(unused_imports)]
                use ::larder::memo::check::{ContentKeyed as _, Keyed as _, NotKeyed as _};
                ::larder::memo::key(&__LARDER_SPEC, ::larder::memo::Args::new() #(#fields)*)
            })
        }
    };
    let cache = match &opts.cache {
        Some(c) => quote! {
            let __larder_holder = #c;
            let __larder_cache = ::larder::Result::Ok(::larder::memo::AsCache::as_cache(&__larder_holder));
        },
        None => quote!(let __larder_cache = ::larder::memo::default_cache();),
    };
    let tags = if dyn_tags.is_empty() {
        quote!()
    } else {
        quote! {
            let __larder_call = __larder_call.tags(::std::vec![
                #(::std::string::String::from(#dyn_tags)),*
            ]);
        }
    };
    let prologue = quote! {
        #spec
        #cache
        let __larder_call = ::larder::memo::Call::new(&__LARDER_SPEC, __larder_cache, || #key);
        #tags
    };

    // The hidden body, and how the generated functions call it.
    let inner = format_ident!("__larder_{}", name);
    let generic_args: Vec<TokenStream> = sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(&t.ident),
            GenericParam::Const(c) => Some(&c.ident),
            GenericParam::Lifetime(_) => None,
        })
        .map(|i| quote!(#i))
        .collect();
    let turbofish = if generic_args.is_empty() {
        quote!()
    } else {
        quote!(::<#(#generic_args),*>)
    };
    let arg_names: Vec<&Ident> = args.iter().map(|a| &a.ident).collect();
    let inner_call = if receiver.is_some() {
        quote!(Self::#inner #turbofish(self, #(#arg_names),*))
    } else {
        quote!(#inner #turbofish(#(#arg_names),*))
    };
    let thunk = if is_async {
        quote!(move || #inner_call)
    } else {
        quote!(move || async move { #inner_call })
    };
    let method = |swr: bool| match (result_mode, swr) {
        (false, false) => quote!(value),
        (true, false) => quote!(result),
        (false, true) => quote!(value_swr),
        (true, true) => quote!(result_swr),
    };
    let blocking = !is_async;
    let invoke = |refresh: bool| {
        let (m, flag) = if opts.stale.is_some() && !refresh {
            (method(true), blocking)
        } else {
            (method(false), refresh)
        };
        let call = quote!((&&__larder_ret).#m(__larder_call, #flag, #thunk));
        let call = if is_async {
            quote!(#call.await)
        } else {
            quote!(::larder::block_on(#call))
        };
        quote! {
            #[allow(unused_imports)]
            use ::larder::memo::check::{NotStorable as _, Storable as _, StorableResult as _};
            let __larder_ret = ::larder::memo::check::Ret::<#ret>::new();
            #call
        }
    };

    // Compile-time checks, each a function named after what it checks (the
    // name shows in the error) and called with the span of what it is about.
    let mut checks = Vec::new();
    let c = quote!(::larder::memo::check);
    for a in args.iter().filter(|a| !opts.ignore.contains(&a.ident)) {
        let id = &a.ident;
        if opts.key.is_some() {
            break;
        }
        let (f, bound) = if opts.content.contains(id) {
            let f = format_ident!("content_argument_{}_must_be_a_path", id);
            (f, quote!(::core::convert::AsRef<::std::path::Path>))
        } else {
            let f = format_ident!("argument_{}_must_be_serialize_to_be_part_of_the_key", id);
            (f, quote!(#c::Serialize))
        };
        checks.push(quote! {
            #[allow(non_snake_case)]
            fn #f<T: #bound + ?Sized>(_: &T) {}
        });
        checks.push(quote_spanned!(a.span=> #f(&#id);));
    }
    let ret_span = match &sig.output {
        ReturnType::Type(_, t) => t.span(),
        ReturnType::Default => sig.ident.span(),
    };
    let (ret_check, bound) = if result_mode {
        let f = format_ident!("ok_value_of_{}_must_be_serialize_and_deserialize", name);
        let e = format_ident!(
            "error_type_of_{}_must_be_from_larder_error_and_display",
            name
        );
        checks.push(quote! {
            #[allow(non_snake_case)]
            fn #e<R: #c::IsResult>() where R::Err: ::core::convert::From<::larder::Error> + ::core::fmt::Display {}
        });
        checks.push(quote_spanned!(ret_span=> #e::<#ret>();));
        (f, quote!(where R::Ok: #c::Serialize + #c::DeserializeOwned))
    } else {
        let f = format_ident!("return_value_of_{}_must_be_serialize_and_deserialize", name);
        (f, quote!(where R: #c::Serialize + #c::DeserializeOwned))
    };
    let is_result_bound = if result_mode {
        quote!(#c::IsResult)
    } else {
        quote!(?Sized)
    };
    checks.push(quote! {
        #[allow(non_snake_case)]
        fn #ret_check<R: #is_result_bound>() #bound {}
    });
    checks.push(quote_spanned!(ret_span=> #ret_check::<#ret>();));

    let shared = shared_attrs(&attrs);
    let outer = outer_signature(&sig);
    let main_body = invoke(false);
    let refresh_body = invoke(true);
    let mut refresh_sig = outer.clone();
    refresh_sig.ident = format_ident!("{}_refresh", name);
    let mut forget_sig = outer.clone();
    forget_sig.ident = format_ident!("{}_forget", name);
    forget_sig.output = syn::parse_quote!(-> ::larder::Result<bool>);
    let forget_body = if is_async {
        quote!(__larder_call.forget().await)
    } else {
        quote!(::larder::block_on(__larder_call.forget()))
    };
    let mut inner_sig = sig.clone();
    inner_sig.ident = inner.clone();
    let refresh_doc = format!(
        "Recomputes `{name}` for these arguments now, stores the value and returns it; \
         entries computed from the old value are removed first."
    );
    let forget_doc = format!(
        "Removes the cached value of `{name}` for these arguments, and the entries computed \
         from it; `Ok(true)` if there was one."
    );
    Ok(quote! {
        #(#attrs)*
        #vis #outer {
            #[allow(clippy::needless_borrow, clippy::needless_borrows_for_generic_args)]
            {
                #(#checks)*
            }
            #prologue
            #main_body
        }

        #(#shared)*
        #[doc = #refresh_doc]
        #vis #refresh_sig {
            #prologue
            #refresh_body
        }

        #(#shared)*
        #[doc = #forget_doc]
        #[allow(unused_variables)]
        #vis #forget_sig {
            #prologue
            #forget_body
        }

        #(#shared)*
        #[doc(hidden)]
        #[allow(clippy::too_many_arguments)]
        #inner_sig #block
    })
}
