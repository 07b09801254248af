//! The console over HTTP against the real binary: signing in (cookie flags, CSRF), every number of
//! a statement equal to the API's, what a participant token may open, the auditor's replay, the
//! two languages. (The same pages in a real browser: tests/console/.)

use crate::api::{Reply, Server, example_period, token};
use serde_json::Value;

/// The value of cookie `name` that a reply sets, with the whole `Set-Cookie` line.
fn set_cookie<'a>(reply: &'a Reply, name: &str) -> Option<(&'a str, &'a str)> {
    reply.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix('=')?;
        Some((value.split(';').next().unwrap_or(""), line))
    })
}

fn text(reply: &Reply) -> String {
    String::from_utf8(reply.body.clone()).unwrap()
}

/// Signs in as `role` through the form, and returns the session's cookie header.
fn sign_in(s: &Server, role: &str) -> String {
    let form = s.browse("GET", "/console/sign-in", "", None, &[]);
    assert_eq!(form.status, 200, "{}", text(&form));
    let (csrf, _) = set_cookie(&form, "payplan_csrf").expect("the form sets its CSRF cookie");
    let body = format!("token={}&csrf={csrf}", token(role));
    let signed = s.browse("POST", "/console/sign-in", &format!("payplan_csrf={csrf}"), Some(&body), &[]);
    assert_eq!(signed.status, 303, "{}", text(&signed));
    let (session, _) = set_cookie(&signed, "payplan_session").expect("signing in sets the session cookie");
    format!("payplan_session={session}")
}

/// The CSRF token of a page's forms.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("the page has a form") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// The text of every element carrying `attribute` on the page, in order.
fn marked(page: &str, attribute: &str) -> Vec<String> {
    page.match_indices(&format!(" {attribute}>"))
        .map(|(at, m)| page[at + m.len()..].split('<').next().unwrap().to_owned())
        .collect()
}

/// A page whose figures are made in the background (the what-if, the gate), once they are: until
/// then it answers that they are being made, and links to itself.
fn made(s: &Server, url: &str, session: &str) -> String {
    for _ in 0..600 {
        let page = s.browse("GET", url, session, None, &[]);
        assert_eq!(page.status, 200, "{}", text(&page));
        let page = text(&page);
        if !page.contains("data-pending") {
            return page;
        }
        let link = format!("href=\"{}\"", url.replace('&', "&amp;"));
        assert!(page.contains("role=\"status\"") && page.contains(&link), "{page}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{url}: its figures were not made within a minute")
}

fn record_example(s: &Server) -> i64 {
    let plan = s.publish_example();
    let run = s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period());
    assert_eq!(run.status, 201);
    run.json()["run"]["seq"].as_i64().unwrap()
}

#[test]
fn signing_in_keeps_the_token_in_a_strict_http_only_cookie_behind_csrf() {
    let s = Server::start();
    let away = s.browse("GET", "/console", "", None, &[]);
    assert_eq!((away.status, away.header("location")), (303, Some("/console/sign-in")));
    let form = s.browse("GET", "/console/sign-in", "", None, &[]);
    let (form_csrf, line) = set_cookie(&form, "payplan_csrf").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(line.contains(flag), "{flag} missing from {line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    let cookie = format!("payplan_csrf={form_csrf}");
    let post = |body: &str, cookie: &str, headers: &[(&str, &str)]| {
        s.browse("POST", "/console/sign-in", cookie, Some(body), headers)
    };
    // The right token but another CSRF value, or none: refused before the token is looked at.
    let forged = post(&format!("token={}&csrf=forged", token("payroll")), &cookie, &[]);
    assert_eq!(forged.status, 403, "{}", text(&forged));
    assert!(set_cookie(&forged, "payplan_session").is_none());
    assert_eq!(post(&format!("token={}&csrf={form_csrf}", token("payroll")), "", &[]).status, 403);
    // An unknown token: the form again, 401.
    let unknown = post(&format!("token=nope&csrf={form_csrf}"), &cookie, &[]);
    assert_eq!(unknown.status, 401);
    assert!(text(&unknown).contains("That token is not known."));
    // Signed in: the session cookie, Secure when a TLS proxy says the request came over TLS.
    let https = [("X-Forwarded-Proto", "https")];
    let signed = post(&format!("token={}&csrf={form_csrf}", token("payroll")), &cookie, &https);
    assert_eq!((signed.status, signed.header("location")), (303, Some("/console")));
    let (session, line) = set_cookie(&signed, "payplan_session").unwrap();
    assert_eq!(session, token("payroll"));
    for flag in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(line.contains(flag), "{flag} missing from {line}");
    }
    // Signing out needs the session's CSRF token too.
    let session = format!("payplan_session={session}");
    let runs = text(&s.browse("GET", "/console/runs", &session, None, &[]));
    assert_eq!(s.browse("POST", "/console/sign-out", &session, Some("csrf=forged"), &[]).status, 403);
    let out = s.browse("POST", "/console/sign-out", &session, Some(&format!("csrf={}", csrf(&runs))), &[]);
    assert_eq!(out.status, 303);
    assert!(set_cookie(&out, "payplan_session").is_some_and(|(v, _)| v.is_empty()), "the cookie is cleared");
}

#[test]
fn a_statement_shows_every_number_the_api_gives_and_its_csv_the_same_lines() {
    let s = Server::start();
    let seq = record_example(&s);
    let session = sign_in(&s, "payroll");
    for who in ["p001", "p002", "p005"] {
        let api: Value = s.get(&format!("/v1/runs/{seq}/participants/{who}"), "payroll").json();
        let page = s.browse("GET", &format!("/console/runs/{seq}/participants/{who}"), &session, None, &[]);
        assert_eq!(page.status, 200);
        let page = text(&page);
        let amounts: Vec<String> =
            api["payouts"].as_array().unwrap().iter().map(|p| p["amount"].as_str().unwrap().to_owned()).collect();
        assert!(!amounts.is_empty(), "{who} is paid in the example");
        assert_eq!(marked(&page, "data-amount"), amounts, "{who}");
        assert_eq!(marked(&page, "data-total"), [api["total"].as_str().unwrap()], "{who}");
        // The facts behind the lines, as the standings give them.
        let st = s.get(&format!("/v1/runs/{seq}/standings"), "payroll").json();
        let own = st["participants"].as_array().unwrap().iter().find(|p| p["id"] == who).unwrap();
        assert_eq!(marked(&page, "data-fact=\"sales\""), [own["sales"].as_str().unwrap()], "{who}");
        assert_eq!(
            marked(&page, "data-fact=\"attainment\""),
            [format!("{}%", own["attainment"].as_str().unwrap())],
            "{who}"
        );
        // The deals that credit them, as the API's credits give them.
        let credits = s.get(&format!("/v1/runs/{seq}/participants/{who}/credits"), "payroll").json();
        let each: Vec<&str> =
            credits["credits"].as_array().unwrap().iter().map(|c| c["credit"].as_str().unwrap()).collect();
        assert!(!each.is_empty(), "{who} has deals in the example");
        assert_eq!(marked(&page, "data-credit"), each, "{who}");
        assert_eq!(marked(&page, "data-credits-total"), [own["sales"].as_str().unwrap()], "{who}");
        for line in api["payouts"].as_array().unwrap() {
            let first = line["explain"][0].as_str().unwrap();
            let escaped = first.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
            assert!(page.contains(&escaped), "{who}: {first:?} missing");
        }
        let csv = s.browse("GET", &format!("/console/runs/{seq}/participants/{who}/csv"), &session, None, &[]);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let mut rows = csv::Reader::from_reader(&csv.body[..]);
        let csv_amounts: Vec<String> = rows.records().map(|r| r.unwrap()[3].to_owned()).collect();
        assert_eq!(csv_amounts, amounts);
    }
    // The runs page lists the run with its total, as the API's result has it.
    let result: Value = s.get(&format!("/v1/runs/{seq}/result"), "payroll").json();
    let runs = text(&s.browse("GET", "/console/runs", &session, None, &[]));
    assert!(runs.contains(result["totals"]["amount"].as_str().unwrap()), "{runs}");
    assert!(runs.contains("payroll-client"), "who recorded it");
}

#[test]
fn a_participant_opens_only_their_own_statements() {
    let s = Server::start();
    let seq = record_example(&s);
    let session = sign_in(&s, "participant");
    let home = text(&s.browse("GET", "/console", &session, None, &[]));
    assert!(home.contains(&format!("/console/runs/{seq}/participants/p001")), "{home}");
    let own = s.browse("GET", &format!("/console/runs/{seq}/participants/p001"), &session, None, &[]);
    assert_eq!(own.status, 200);
    let api: Value = s.get(&format!("/v1/runs/{seq}/participants/p001"), "participant").json();
    assert_eq!(marked(&text(&own), "data-total"), [api["total"].as_str().unwrap()]);
    let page_csrf = csrf(&text(&own));
    for (method, path, form) in [
        ("GET", format!("/console/runs/{seq}/participants/p002"), None),
        ("GET", format!("/console/runs/{seq}/participants/p002/csv"), None),
        ("GET", format!("/console/runs/{seq}/participants/nobody"), None),
        ("GET", "/console/runs".to_owned(), None),
        ("GET", format!("/console/runs/{seq}"), None),
        ("POST", format!("/console/runs/{seq}/replay"), Some(format!("csrf={page_csrf}"))),
        ("POST", "/console/audit/verify".to_owned(), Some(format!("csrf={page_csrf}"))),
    ] {
        let reply = s.browse(method, &path, &session, form.as_deref(), &[]);
        assert_eq!(reply.status, 403, "{method} {path}: {}", text(&reply));
    }
}

#[test]
fn an_auditor_replays_and_verifies_from_the_console() {
    let s = Server::start();
    let seq = record_example(&s);
    let session = sign_in(&s, "auditor");
    let run = text(&s.browse("GET", &format!("/console/runs/{seq}"), &session, None, &[]));
    let token = csrf(&run);
    let forged = s.browse("POST", &format!("/console/runs/{seq}/replay"), &session, Some("csrf=x"), &[]);
    assert_eq!(forged.status, 403);
    let replay =
        s.browse("POST", &format!("/console/runs/{seq}/replay"), &session, Some(&format!("csrf={token}")), &[]);
    assert_eq!(replay.status, 200);
    assert!(text(&replay).contains("data-matches=\"true\""), "{}", text(&replay));
    let verify = s.browse("POST", "/console/audit/verify", &session, Some(&format!("csrf={token}")), &[]);
    assert!(text(&verify).contains("data-ok=\"true\""), "{}", text(&verify));
    // Payroll reads runs but does not replay.
    let payroll = sign_in(&s, "payroll");
    let page = text(&s.browse("GET", &format!("/console/runs/{seq}"), &payroll, None, &[]));
    assert!(!page.contains("/replay"), "no replay button for payroll");
    let refused =
        s.browse("POST", &format!("/console/runs/{seq}/replay"), &payroll, Some(&format!("csrf={}", csrf(&page))), &[]);
    assert_eq!(refused.status, 403);
}

#[test]
fn the_console_speaks_the_browsers_language_and_switches() {
    let s = Server::start();
    record_example(&s);
    let session = sign_in(&s, "payroll");
    let zh = text(&s.browse("GET", "/console/runs", &session, None, &[("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")]));
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("运行记录"), "{zh}");
    let en = text(&s.browse("GET", "/console/runs", &session, None, &[("Accept-Language", "en-GB")]));
    assert!(en.contains("<html lang=\"en\">") && en.contains("Recorded by"), "{en}");
    let switch = s.browse("GET", "/console/lang/zh-CN?back=/console/runs", &session, None, &[]);
    assert_eq!((switch.status, switch.header("location")), (303, Some("/console/runs")));
    let (lang, _) = set_cookie(&switch, "payplan_lang").unwrap();
    let chosen = text(&s.browse(
        "GET",
        "/console/runs",
        &format!("{session}; payplan_lang={lang}"),
        None,
        &[("Accept-Language", "en")],
    ));
    assert!(chosen.contains("运行记录"), "the switch wins over the browser");
    // A switch never sends the browser off the console.
    let away = s.browse("GET", "/console/lang/en?back=//evil.example/", &session, None, &[]);
    assert_eq!(away.header("location"), Some("/console"));
}

#[test]
fn the_boards_show_the_standings_the_api_gives() {
    let s = Server::start();
    let seq = record_example(&s);
    let st = s.get(&format!("/v1/runs/{seq}/standings"), "payroll").json();
    let session = sign_in(&s, "payroll");
    // Target progress, by attainment (the default sort), each with its bar and the tier lines.
    let progress = text(&s.browse("GET", &format!("/console/runs/{seq}/progress"), &session, None, &[]));
    let mut want: Vec<(rust_decimal::Decimal, String)> = st["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["attainment"].as_str()?.parse().unwrap(), p["id"].as_str().unwrap().to_owned())))
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // The teams' table comes first.
    let teams = st["teams"].as_array().unwrap().len();
    let shown: Vec<String> =
        marked(&progress, "data-attainment").into_iter().skip(teams).filter(|a| a != "–").collect();
    assert_eq!(shown, want.iter().map(|w| format!("{:.2}%", w.0)).collect::<Vec<_>>());
    assert!(progress.contains("80.00%, 100.00%, 120.00%"), "the tier lines");
    assert!(progress.matches("<svg").count() >= want.len(), "a bar each");
    // By sales, highest first.
    let by_sales = text(&s.browse("GET", &format!("/console/runs/{seq}/progress?sort=sales"), &session, None, &[]));
    let sales: Vec<rust_decimal::Decimal> =
        marked(&by_sales, "data-sales").iter().map(|x| x.parse().unwrap()).collect();
    assert!(sales.windows(2).all(|w| w[0] >= w[1]), "{sales:?}");
    // The PK board: the groups in the API's order, with its prizes.
    let pk = text(&s.browse("GET", &format!("/console/runs/{seq}/pk"), &session, None, &[]));
    let prizes: Vec<String> =
        st["groups"].as_array().unwrap().iter().map(|g| g["prize"].as_str().unwrap().to_owned()).collect();
    assert_eq!(marked(&pk, "data-prize"), prizes);
    // Each group's split: its members' PK lines, which add up to its prize.
    let mut shares = Vec::new();
    for g in st["groups"].as_array().unwrap() {
        let split: Vec<&str> = g["split"].as_array().unwrap().iter().map(|m| m["amount"].as_str().unwrap()).collect();
        let sum: rust_decimal::Decimal = split.iter().map(|a| a.parse::<rust_decimal::Decimal>().unwrap()).sum();
        assert_eq!(sum, g["prize"].as_str().unwrap().parse().unwrap(), "{g}");
        shares.extend(split.iter().map(|a| a.to_string()));
    }
    assert!(
        shares.len() > st["groups"].as_array().unwrap().iter().filter(|g| g["prize"] != "0.00").count(),
        "a prize is split"
    );
    assert_eq!(marked(&pk, "data-share"), shares);
    // The champions wall, which a participant may open (and not the boards).
    let wall = s.get(&format!("/v1/runs/{seq}/champions"), "payroll").json();
    let participant = sign_in(&s, "participant");
    let page = s.browse("GET", &format!("/console/runs/{seq}/champions"), &participant, None, &[]);
    assert_eq!(page.status, 200);
    let page = text(&page);
    let first = wall["period"]["by_sales"][0]["id"].as_str().unwrap();
    assert!(page.contains(&format!("data-champion=\"{first}\"")), "{page}");
    assert!(page.contains("role=\"img\""), "each champion's curve");
    for board in ["progress", "pk"] {
        let refused = s.browse("GET", &format!("/console/runs/{seq}/{board}"), &participant, None, &[]);
        assert_eq!(refused.status, 403, "{board}");
    }
}

#[test]
fn a_designer_compares_two_plan_versions_on_a_recorded_period() {
    let s = Server::start();
    let seq = record_example(&s);
    let richer = crate::api::example_plan().replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.09 }");
    let b = s.publish(&richer, &crate::api::example_files()).json()["hash"].as_str().unwrap().to_owned();
    let w = s.get(&format!("/v1/runs/{seq}/whatif?plan={b}"), "designer").json();
    let session = sign_in(&s, "designer");
    let plans = text(&s.browse("GET", "/console/plans", &session, None, &[]));
    assert!(plans.contains("action=\"/console/whatif\"") && plans.contains(&format!("value=\"{b}\"")), "{plans}");
    let page = made(&s, &format!("/console/whatif?run={seq}&plan={b}"), &session);
    assert_eq!(marked(&page, "data-total-delta"), [w["totals"]["delta"].as_str().unwrap()]);
    let movers: Vec<&str> =
        w["largest_movers"].as_array().unwrap().iter().map(|m| m["delta"].as_str().unwrap()).collect();
    assert_eq!(marked(&page, "data-delta")[..movers.len()], movers[..]);
    assert!(page.contains("<svg"), "the histogram");
    // A version's page: each policy's params with their declared docs.
    let version = text(&s.browse("GET", &format!("/console/plans/{b}"), &session, None, &[]));
    assert!(version.contains("data-policy=\"commission\"") && version.contains("ratio of the target"), "{version}");
    // A version the API has not compared yet: the page makes the comparison in the background,
    // says so while it is being made, and shows what the API then answers.
    let poorer = crate::api::example_plan().replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.07 }");
    let c = s.publish(&poorer, &crate::api::example_files()).json()["hash"].as_str().unwrap().to_owned();
    let page = made(&s, &format!("/console/whatif?run={seq}&plan={c}"), &session);
    let w = s.get(&format!("/v1/runs/{seq}/whatif?plan={c}"), "designer").json();
    assert_eq!(marked(&page, "data-total-delta"), [w["totals"]["delta"].as_str().unwrap()]);
    assert!(w["totals"]["delta"].as_str().unwrap().starts_with('-'), "a lower rate pays less");
    // Payroll may not.
    let payroll = sign_in(&s, "payroll");
    assert_eq!(s.browse("GET", &format!("/console/whatif?run={seq}&plan={b}"), &payroll, None, &[]).status, 403);
}

#[test]
fn a_designer_gates_a_version_on_the_closed_periods_of_a_series() {
    let s = Server::start();
    let script = std::fs::read_to_string(crate::support::repo().join("policies/tiered_commission.rhai")).unwrap();
    let plan = |rate: &str| {
        let text = format!(
            "id = \"quarterly\"\nversion = \"{rate}\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"commission\"\n\
             script = \"tiered_commission.rhai\"\naccumulate = \"quarter\"\n[policy.params]\n\
             tiers = [ {{ at = 0.5, rate = {rate} }} ]\n"
        );
        s.publish(&text, &[("tiered_commission.rhai", script.as_str())]).json()["hash"].as_str().unwrap().to_owned()
    };
    let (paid, new) = (plan("0.03"), plan("0.04"));
    let mut r = crate::properties::Rng::new(8);
    for m in 0..2 {
        let period = crate::series::month(&mut r, m, 4).to_string();
        let run = s.post(&format!("/v1/plans/{paid}/runs"), "payroll", period.as_bytes()).json();
        let body = format!("{{\"run\": {}}}", run["run"]["seq"]);
        let closed = s.post(
            &format!("/v1/periods/{}/close", run["result"]["period"].as_str().unwrap()),
            "payroll",
            body.as_bytes(),
        );
        assert_eq!(closed.status, 200);
    }
    let api = s.post(&format!("/v1/plans/{new}/gate"), "designer", b"{}").json();
    let session = sign_in(&s, "designer");
    let plans = text(&s.browse("GET", "/console/plans", &session, None, &[]));
    assert!(plans.contains("action=\"/console/gate\""), "the gate's form");
    let page = made(&s, &format!("/console/gate?plan={new}&series="), &session);
    assert_eq!(marked(&page, "data-gate-delta"), [api["totals"]["delta"].as_str().unwrap()]);
    for period in ["2026-01", "2026-02"] {
        assert!(page.contains(&format!("data-period=\"{period}\"")), "{period}");
    }
}
