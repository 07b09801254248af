//! The engine benchmark: generated periods of each size in `PAYPLAN_BENCH_SIZES` (participants,
//! comma-separated; default 2000, the CI size), ~20 deals each, the example plan's nine standard
//! policies, run as (a) Rhai scripts, (b) the same rules in Rust run natively (`plugins/standard`,
//! the floor), (c) with `group_pk` as its WASM plugin and (d) all nine as their WASM plugins (the
//! same Rust built for `wasm32-unknown-unknown`, ABI version 2). Each run is a child process, so
//! its peak memory is its own. All must emit the same lines and scores, or the benchmark fails.
//! Each runs twice per size and the faster run is reported. Another run, `rhai-min`, is the
//! interpreter's floor: nine policies of one line each (`floor.rhai`: a tier rate on sales, no
//! explanation). One table per size: every step of every configuration side by side, then the
//! ratios.
//!
//! `PAYPLAN_BENCH_SIZES=10000,100000,1000000 cargo bench --bench engine`
//!
//! Then a series (`PAYPLAN_BENCH_SERIES` participants, default 2000; 0 skips it): months 1–11
//! of FY2026 recorded and closed in a SQLite store, and month 12 evaluated natively three ways:
//! `alone` (the same month without its series, the example plan: no history read), `quarter` (the commission
//! accumulated over the quarter, a period cap, the new hires' recoverable draws: its history read
//! from the store) and `year` (the same, accumulated over the series).
//!
//! `PAYPLAN_BENCH_SIZES=0 PAYPLAN_BENCH_SERIES=100000 cargo bench --bench engine`

#[path = "../../tests/it/built_plugins.rs"]
mod built_plugins;

// The allocator the `payplan` binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: payplan::allocator::Counting = payplan::allocator::Counting;

use payplan::eval::{CompiledPlan, to_json};
use payplan::plan::{self, Plan};
use payplan::runtime::thread_pool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const CONFIGS: [&str; 5] = ["rhai", "native", "wasm", "wasm-all", "rhai-min"];

/// Timed runs of each runtime per size. On this VM noise only adds time (nearly all of it system
/// time for fresh memory: the same run has measured 2.3 s and 4.8 s), so the faster of two runs
/// is the nearer to what the code costs.
const TIMED_RUNS: usize = 2;

/// Each configuration's reported figures (`key=value` from its child), by configuration.
type Runs = BTreeMap<&'static str, BTreeMap<String, String>>;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() {
    payplan::allocator::keep_freed_memory();
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, config, file] = &args[..]
        && flag == "--child"
    {
        return child(config, Path::new(file));
    }
    if let [_, flag, config, store, file] = &args[..]
        && flag == "--series-child"
    {
        return series_child(config, store, Path::new(file));
    }
    let sizes = std::env::var("PAYPLAN_BENCH_SIZES").unwrap_or_else(|_| "2000".into());
    let dir = tempfile::tempdir().expect("a temporary folder");
    let series: u64 = std::env::var("PAYPLAN_BENCH_SERIES").map_or(2000, |s| s.parse().expect("a number"));
    if sizes.trim() != "0" {
        periods(&sizes, dir.path());
    }
    if series > 0 {
        series_bench(series, dir.path());
    }
}

/// Every configuration on a period of each size.
fn periods(sizes: &str, dir: &Path) {
    // The previous size's runs, for the scaling line.
    let mut previous: Option<(u64, Runs)> = None;
    for n in sizes.split(',').map(|s| s.trim().parse::<u64>().expect("sizes are numbers")) {
        let file = dir.join(format!("period-{n}.json"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        payplan::input::generate::write_period(
            &mut out,
            payplan::input::generate::Shape { participants: n, deals_per: 20, seed: 1 },
        )
        .unwrap();
        drop(out);
        let mb = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;
        let mut runs = Runs::new();
        let run = |config: &str| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--child", config])
                .arg(&file)
                .env("PAYPLAN_PLUGINS", built_plugins::folder())
                .output()
                .unwrap()
        };
        // An untimed run first: on this VM the first process after the period is written pays
        // for fresh memory (its parse measured 2-3x the others', in system time), whichever
        // runtime it is.
        assert!(run("native").status.success(), "the warm-up run failed");
        // Each runtime runs TIMED_RUNS times, the rounds interleaved; the faster run is reported.
        for _ in 0..TIMED_RUNS {
            for config in CONFIGS {
                keep_faster(&mut runs, config, run(config));
            }
        }
        let openssl = openssl_sha256(&file);
        table(n, mb, &runs, openssl);
        let secs = |c: &str, k: &str| runs[c][k].parse::<f64>().unwrap();
        for config in ["native", "wasm", "wasm-all"] {
            assert_eq!(
                runs[config]["digest"], runs["rhai"]["digest"],
                "{config} and rhai disagree on the lines at {n} participants"
            );
        }
        println!(
            "ratios: total rhai/native {:.2}, rhai-min/native {:.2}, wasm-all/native {:.2}; evaluate rhai/native {:.1}; \
             group_pk wasm/native {:.2}, rhai/native {:.1}; lines agree",
            secs("rhai", "total") / secs("native", "total"),
            secs("rhai-min", "total") / secs("native", "total"),
            secs("wasm-all", "total") / secs("native", "total"),
            secs("rhai", "evaluate") / secs("native", "evaluate"),
            secs("wasm", "pk") / secs("native", "pk"),
            secs("rhai", "pk") / secs("native", "pk"),
        );
        // The fixed part (every step but the policies), against hashing the same file.
        let fixed: f64 = ["parse", "facts", "assemble", "json"].iter().map(|k| secs("native", k)).sum();
        println!(
            "fixed part (native: parse + facts + assemble + json) {fixed:.3}s; openssl dgst -sha256 {openssl:.3}s; fixed/openssl {:.1}",
            fixed / openssl
        );
        if let Some((m, before)) = &previous {
            let grew = |c: &str, k: &str| secs(c, k) / before[c][k].parse::<f64>().unwrap();
            let each: Vec<String> = CONFIGS
                .iter()
                .map(|c| format!("{c} x{:.1} (user CPU x{:.1})", grew(c, "total"), grew(c, "user")))
                .collect();
            println!("scaling from {m} ({:.0}x the people), total: {}", n as f64 / *m as f64, each.join(", "));
        }
        println!();
        previous = Some((n, runs));
    }
}

/// One size's table: a row per step and figure, a column per configuration.
fn table(n: u64, mb: f64, runs: &Runs, openssl: f64) {
    println!(
        "{n} participants, {} deals, {mb:.1} MB of JSON (openssl dgst -sha256 {openssl:.3}s)",
        runs["native"]["deals"]
    );
    print!("{:<18}", "step (s)");
    for config in CONFIGS {
        print!("{config:>10}");
    }
    println!();
    // The steps as the children timed them: parse, facts, each policy, assemble, json.
    let steps: Vec<(String, BTreeMap<&str, f64>)> = {
        let mut steps: Vec<(String, BTreeMap<&str, f64>)> = Vec::new();
        for config in CONFIGS {
            let each = runs[config]["steps"].split(',').filter_map(|s| s.split_once(':'));
            let each = [("parse", runs[config]["parse"].as_str())].into_iter().chain(each);
            let each = each.chain([("json", runs[config]["json"].as_str())]);
            for (k, (step, t)) in each.enumerate() {
                // rhai-min's policies have names of their own: a row by position.
                let name = if config == "rhai-min" && step.starts_with("rule") {
                    steps[k].0.clone()
                } else {
                    step.to_string()
                };
                if k >= steps.len() {
                    steps.push((name, BTreeMap::new()));
                }
                steps[k].1.insert(config, t.parse().unwrap());
            }
        }
        steps
    };
    let row = |name: &str, value: &dyn Fn(&str) -> String| {
        print!("{name:<18}");
        for config in CONFIGS {
            print!("{:>10}", value(config));
        }
        println!();
    };
    for (step, by) in &steps {
        row(step, &|c| by.get(c).map_or("-".into(), |t| format!("{t:.3}")));
    }
    let figure = |k: &'static str, scale: f64, places: usize| {
        move |c: &str| format!("{:.places$}", runs[c][k].parse::<f64>().unwrap() / scale)
    };
    row("total", &figure("total", 1.0, 3));
    row("user CPU", &figure("user", 1.0, 2));
    row("system CPU", &figure("sys", 1.0, 2));
    row("peak MB", &figure("peak_kb", 1024.0, 0));
}

/// The faster of two runs of `openssl dgst -sha256` on `file`, in seconds: the yardstick of the
/// fixed part (reading a file and hashing it at the speed of the CPU's SHA instructions).
fn openssl_sha256(file: &Path) -> f64 {
    (0..2)
        .map(|_| {
            let clock = Instant::now();
            let status = Command::new("openssl").args(["dgst", "-sha256"]).arg(file).output().expect("openssl runs");
            assert!(status.status.success(), "openssl dgst failed");
            clock.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Keeps a child's figures (`key=value` on its output) for `config` when its run is the faster.
fn keep_faster(runs: &mut Runs, config: &'static str, output: std::process::Output) {
    assert!(output.status.success(), "{config}: {}", String::from_utf8_lossy(&output.stderr));
    let r: BTreeMap<String, String> = String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let total = |r: &BTreeMap<String, String>| r["total"].parse::<f64>().unwrap();
    if runs.get(config).is_none_or(|best| total(&r) < total(best)) {
        runs.insert(config, r);
    }
}

/// The example plan as `config` of the series benchmark says: `alone` as it is; `quarter` and
/// `year` with the commission accumulated over that window, a period cap and draws recovered at
/// half of what is earned over the draw.
fn series_plan(config: &str) -> CompiledPlan {
    let file = repo().join("examples/plan.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let window = match config {
        "alone" => None,
        "quarter" => Some("quarter"),
        _ => Some("series"),
    };
    if let Some(window) = window {
        let head = "id = \"commission\"\n";
        assert!(text.contains(head), "the example plan has a commission policy");
        text = text.replacen(head, &format!("{head}accumulate = \"{window}\"\n"), 1);
        let first = text.find("[[policy]]").unwrap();
        text.insert_str(first, "[caps]\nperiod = 50000\n\n[draws]\nrecovery_rate = 0.5\n\n");
    }
    let plan: Plan = plan::parse(&file, &text, |p| std::fs::read(p).map_err(|e| e.to_string())).unwrap();
    native(plan)
}

/// The plan with each standard policy's rule in Rust (`plugins/standard`) run natively.
fn native(plan: Plan) -> CompiledPlan {
    payplan::runtime::native::plan(plan, payplan_standard::rule).unwrap()
}

/// Months 1–11 of a series of `n` participants recorded and closed, then month 12 each way.
fn series_bench(n: u64, dir: &Path) {
    let shape = payplan::input::generate::Shape { participants: n, deals_per: 20, seed: 1 };
    let month_file = |m: u32| {
        let file = dir.join(format!("month-{n}-{m:02}.json"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        payplan::input::generate::write_month(&mut out, shape, m, true).unwrap();
        file
    };
    let store_path = dir.join(format!("series-{n}.db"));
    let store = payplan::store::open(&store_path.to_string_lossy()).unwrap();
    let compiled = series_plan("quarter");
    let pool = thread_pool(0);
    let recording = Instant::now();
    for m in 1..=11 {
        let file = month_file(m);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        let input = pool.install(|| payplan::input::parse_period(&bytes)).unwrap();
        let id = input.period.period.id.clone();
        let history = payplan::series::read(store.as_ref(), &input.period).unwrap();
        let (result, _) =
            compiled.evaluate_series(input, Some(&history), &pool, &payplan::halt::Halt::never()).unwrap();
        let how = payplan::audit::Recording {
            basis: history.runs(),
            ..payplan::audit::Recording::new("bench", payplan::store::Kind::Run)
        };
        let stored = payplan::audit::record(store.as_ref(), &bytes, &compiled.plan, &result, how).unwrap();
        payplan::audit::close(store.as_ref(), &id, stored.record.seq, "bench").unwrap();
    }
    drop(store);
    let db_mb = std::fs::metadata(&store_path).unwrap().len() as f64 / 1e6;
    println!(
        "series of {n} people: months 1-11 recorded and closed in {:.1}s (store {db_mb:.0} MB); month 12:",
        recording.elapsed().as_secs_f64()
    );
    let file = month_file(12);
    // Alone: the same month without its series (nor, then, the new hires' draws).
    let alone = dir.join(format!("month-{n}-12-alone.json"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&alone).unwrap());
    payplan::input::generate::write_month(&mut out, shape, 12, false).unwrap();
    drop(out);
    let configs = ["alone", "quarter", "year"];
    let mut runs = Runs::new();
    for _ in 0..TIMED_RUNS {
        for config in configs {
            let output = Command::new(std::env::current_exe().unwrap())
                .args(["--series-child", config])
                .arg(&store_path)
                .arg(if config == "alone" { &alone } else { &file })
                .output()
                .unwrap();
            keep_faster(&mut runs, config, output);
        }
    }
    println!(
        "{:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "people", "window", "parse", "history", "evaluate", "total", "user", "sys", "peak MB", "basis"
    );
    let secs = |c: &str, k: &str| runs[c][k].parse::<f64>().unwrap();
    for config in configs {
        println!(
            "{n:>9} {config:>8} {:>8.3}s {:>8.3}s {:>8.3}s {:>8.3}s {:>7.2}s {:>7.2}s {:>8.0} {:>7}",
            secs(config, "parse"),
            secs(config, "history"),
            secs(config, "evaluate"),
            secs(config, "total"),
            secs(config, "user"),
            secs(config, "sys"),
            secs(config, "peak_kb") / 1024.0,
            runs[config]["basis"],
        );
    }
    assert_eq!(runs["alone"]["basis"], "0", "alone reads no history");
    for config in ["quarter", "year"] {
        assert_eq!(runs[config]["basis"], "11", "{config} is paid on the eleven months before it");
    }
    let months = |c: &str| if c == "quarter" { 2.0 } else { 11.0 };
    let each: Vec<String> = ["quarter", "year"]
        .iter()
        .map(|c| {
            format!(
                "{c}/alone {:.2} (history read {:.3}s a month of the series, evaluate +{:.3}s a month of the window)",
                secs(c, "total") / secs("alone", "total"),
                secs(c, "history") / 11.0,
                (secs(c, "evaluate") - secs("alone", "evaluate")) / months(c),
            )
        })
        .collect();
    println!("{n:>9} ratios: {}", each.join("; "));
}

/// Month 12 of the series benchmark as `config`, end to end: the file and (when the plan has a
/// series feature) its history to the result JSON.
fn series_child(config: &str, store: &str, file: &Path) {
    let pool = thread_pool(0);
    let compiled = series_plan(config);
    let store = payplan::store::open(store).unwrap();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let input = read_period(file, &pool);
    let parsed = started.elapsed();
    let clock = Instant::now();
    let history = compiled.needs_history(&input.period).then(|| payplan::series::read(store.as_ref(), &input.period));
    let history = history.transpose().unwrap();
    let read = clock.elapsed();
    let clock = Instant::now();
    let never = payplan::halt::Halt::never();
    let (result, _) = compiled.evaluate_series(input, history.as_ref(), &pool, &never).unwrap();
    let evaluated = clock.elapsed();
    std::hint::black_box(pool.install(|| to_json(&result)));
    let total = started.elapsed();
    let cpu = cpu_seconds();
    println!(
        "parse={} history={} evaluate={} total={} user={} sys={} peak_kb={} basis={}",
        parsed.as_secs_f64(),
        read.as_secs_f64(),
        evaluated.as_secs_f64(),
        total.as_secs_f64(),
        cpu.0 - cpu_before.0,
        cpu.1 - cpu_before.1,
        peak_kb(),
        result.basis.len()
    );
}

/// This process's peak resident memory in kB, from `/proc/self/status`.
fn peak_kb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap_or("0").trim().trim_end_matches(" kB").to_string()
}

/// The example plan, with its policies as `config` says; for `rhai-min`, one copy of
/// `floor.rhai` per policy.
fn plan_for(config: &str) -> CompiledPlan {
    let file = repo().join("examples/plan.toml");
    let example = std::fs::read_to_string(&file).unwrap();
    let text = match config {
        // The example plan's header (currency, rounding), then one one-line rule per policy.
        "rhai-min" => {
            let floor = repo().join("host/benches/floor.rhai").display().to_string();
            let header = &example[..example.find("[[policy]]").expect("the example plan has policies")];
            let mut text = header.to_string();
            for i in 1..=example.matches("[[policy]]").count() {
                text += &format!("[[policy]]\nid = \"rule{i}\"\nscript = {floor:?}\n");
            }
            text
        }
        "wasm" => as_plugins(&example, &["group_pk"]),
        "wasm-all" => as_plugins(&example, &payplan_standard::NAMES),
        _ => example,
    };
    let plan: Plan = plan::parse(&file, &text, |p| std::fs::read(p).map_err(|e| e.to_string())).unwrap();
    match config {
        "native" => native(plan),
        _ => CompiledPlan::new(plan).unwrap(),
    }
}

/// The plan text with each of these standard policies' scripts replaced by its plugin.
fn as_plugins(plan: &str, names: &[&str]) -> String {
    names.iter().fold(plan.to_string(), |text, name| {
        let wasm = built_plugins::folder().join(format!("{name}.wasm"));
        let script = format!("script = \"../policies/{name}.rhai\"");
        assert!(text.contains(&script), "the example plan runs {name}");
        text.replace(&script, &format!("plugin = \"{}\"", wasm.display()))
    })
}

/// One run, end to end: period JSON file to result JSON, timed by step.
fn child(config: &str, file: &Path) {
    let pool = thread_pool(0);
    let compiled = plan_for(config);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let input = read_period(file, &pool);
    let parsed = started.elapsed();
    let deals = input.period.deals.len();
    let clock = Instant::now();
    let (result, timings) = compiled.evaluate_timed(input, &pool, &payplan::halt::Halt::never()).unwrap();
    let evaluated = clock.elapsed();
    let clock = Instant::now();
    let json = pool.install(|| to_json(&result));
    let written = clock.elapsed();
    let total = started.elapsed();
    let cpu = cpu_seconds();
    let (user, sys) = (cpu.0 - cpu_before.0, cpu.1 - cpu_before.1);
    std::hint::black_box(json);
    let pk = timings.policies.iter().find(|(id, _)| id == "pk").map(|(_, t)| t.as_secs_f64()).unwrap_or_default();
    let steps: Vec<String> = [("facts", timings.facts)]
        .into_iter()
        .chain(timings.policies.iter().map(|(id, t)| (id.as_str(), *t)))
        .chain([("assemble", timings.assemble)])
        .map(|(step, t)| format!("{step}:{:.3}", t.as_secs_f64()))
        .collect();
    let rows: Vec<String> = result
        .payouts
        .iter()
        .map(|p| format!("{} {} {} {}", p.participant, p.policy, p.component, p.amount))
        .chain(result.scores.iter().map(|s| format!("{} {} {} {}", s.participant, s.policy, s.score, s.grade)))
        .collect();
    let digest = payplan::hash::sha256(rows.join("\n").as_bytes());
    let peak = peak_kb();
    println!(
        "parse={} evaluate={} facts={} assemble={} json={} pk={pk} total={} user={user} sys={sys} peak_kb={peak} deals={deals} digest={digest} steps={}",
        parsed.as_secs_f64(),
        evaluated.as_secs_f64(),
        timings.facts.as_secs_f64(),
        timings.assemble.as_secs_f64(),
        written.as_secs_f64(),
        total.as_secs_f64(),
        steps.join(",")
    );
}

/// A period file read and validated.
fn read_period(file: &Path, pool: &rayon::ThreadPool) -> payplan::input::Input {
    let bytes = std::fs::read(file).unwrap();
    pool.install(|| payplan::input::parse_period(&bytes)).unwrap()
}

/// CPU seconds this process has spent so far, (user, system), from `/proc/self/stat` (Linux
/// reports them in ticks of 1/100 s). System time is mostly the kernel zeroing fresh pages.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(") ").map_or("", |(_, rest)| rest).split(' ').collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}
