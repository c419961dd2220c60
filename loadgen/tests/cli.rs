//! The load generator's command line as an operator meets it: `--help` names the knobs the
//! benchmark scripts use, and a mistyped option is refused with a non-zero exit before any
//! connection is made. (Its runs against a real server are tests/it/loadgen_smoke.rs and the
//! polls scenario in tests/it/polls_live.rs, in the server's tests.)

use std::process::Command;

fn loadgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .expect("loadgen runs")
}

#[test]
fn help_names_the_options_the_benchmark_scripts_use() {
    let out = loadgen(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--server",
        "--rooms",
        "--players",
        "--rounds",
        "--vote-spread-ms",
        "--server-pid",
        "--scenario",
        "--accounts",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn a_mistyped_option_is_refused_before_any_connection() {
    let out = loadgen(&["--romos", "3"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--romos"), "{err}");
}
