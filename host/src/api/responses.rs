//! The problem answers routes share, for the OpenAPI document: each set is named once here and
//! listed in a route's `responses(...)`, so a route documents what its extractors and its role
//! layer can answer without repeating it.

use std::collections::BTreeMap;
use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// A response whose body is a `Problem` (`application/problem+json`).
fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    ResponseBuilder::new().description(description).content("application/problem+json", content).build().into()
}

macro_rules! problem_sets {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? })*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_owned(), problem($description))),+])
            }
        }
    )*};
}

problem_sets! {
    /// What the role layer answers ([`super::auth::allow`]).
    Denied {
        "401" => "No token, or one the service does not know",
        "403" => "The token's role may not call this route (the detail names the roles that may)",
    }
    /// A JSON body read into a type ([`super::extract::JsonBody`]).
    BadJson {
        "400" => "The body is not JSON",
        "413" => "The body is larger than the service's `max_body_bytes`",
        "415" => "The body is not sent as `application/json`",
        "422" => "The body is not of the documented shape, or what it holds is invalid (the detail says where)",
    }
    /// A period sent as the body and evaluated ([`super::extract::Body`]).
    BadPeriod {
        "400" => "The body is not JSON, or a header or query parameter is malformed",
        "413" => "The body is larger than the service's `max_body_bytes`",
        "422" => "An invalid period (each problem with its path), or a policy that failed or hit a limit",
        "503" => "The evaluation ran past the request timeout, or its client went away; nothing was recorded",
    }
    /// A query string read into a type ([`super::extract::Params`]).
    BadQuery {
        "400" => "A query parameter the route does not take, or a value of the wrong type",
    }
    /// A path naming a plan version, a run or a participant that does not exist.
    Missing {
        "404" => "No such plan version, run or participant",
    }
}
