//! CPU time spent by the processes behind a run (server, Postgres, Redis…), read from `/proc`
//! around the measured window only, so that a comparison can say what a vote costs in CPU
//! rather than only how long it took: on a shared two-core machine CPU time is much steadier
//! than latency.
//!
//! Each `--cpu NAME=PID` is a process *tree*: the process, every live descendant, and (through
//! the `cutime`/`cstime` of their parents) the descendants that ended during the window. That
//! is what Postgres needs (a backend process per connection, plus the WAL writer, checkpointer
//! and autovacuum workers that come and go); for a single process it is just that process.

use serde_json::{Value, json};
use std::collections::HashMap;

/// A process tree to measure, as given on the command line.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub name: String,
    pub pid: u32,
}

/// Parses `NAME=PID`.
pub(crate) fn parse_target(s: &str) -> Result<Target, String> {
    let (name, pid) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=PID, got {s:?}"))?;
    let pid = pid
        .trim()
        .parse::<u32>()
        .map_err(|e| format!("pid of {name:?}: {e}"))?;
    if name.is_empty() {
        return Err(format!("empty name in {s:?}"));
    }
    Ok(Target {
        name: name.to_string(),
        pid,
    })
}

/// One `/proc/<pid>/stat` line, the fields used here.
struct Stat {
    ppid: u32,
    /// utime + stime + cutime + cstime, in clock ticks.
    ticks: u64,
}

fn read_stat(path: &str) -> Option<Stat> {
    let text = std::fs::read_to_string(path).ok()?;
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the
    // last ')'. Fields after it, counted from 0: 0 state, 1 ppid, 11 utime, 12 stime,
    // 13 cutime, 14 cstime.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    Some(Stat {
        ppid: u32::try_from(num(1)?).ok()?,
        ticks: [11, 12, 13, 14]
            .iter()
            .map(|&i| num(i).map(|v| v.max(0) as u64))
            .sum::<Option<u64>>()?,
    })
}

/// Every process's stat, by pid.
fn all_stats() -> HashMap<u32, Stat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, read_stat(&format!("/proc/{pid}/stat"))?)))
        .collect()
}

/// Ticks of the tree under `root` (None when `root` is gone).
fn tree_ticks(stats: &HashMap<u32, Stat>, root: u32) -> Option<u64> {
    stats.get(&root)?;
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, s) in stats {
        children.entry(s.ppid).or_default().push(pid);
    }
    let (mut total, mut todo) = (0u64, vec![root]);
    while let Some(pid) = todo.pop() {
        if let Some(s) = stats.get(&pid) {
            total += s.ticks;
        }
        if let Some(c) = children.get(&pid) {
            todo.extend(c);
        }
    }
    Some(total)
}

/// Busy time of the whole machine in ticks (all CPUs, everything but idle and iowait), from
/// the first line of `/proc/stat`: what else ran during the window shows as the difference.
fn machine_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let f: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest times are already in user).
    Some(
        [0, 1, 2, 5, 6, 7]
            .iter()
            .map(|&i| f.get(i).copied().unwrap_or(0))
            .sum(),
    )
}

/// Clock ticks per second of `/proc` times (USER_HZ; 100 on the usual Linux builds).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// The readings at one instant.
pub(crate) struct Snapshot {
    trees: Vec<Option<u64>>,
    own: Option<u64>,
    machine: Option<u64>,
}

pub(crate) struct Meter {
    targets: Vec<Target>,
    hz: f64,
}

impl Meter {
    pub(crate) fn new(targets: Vec<Target>) -> Self {
        Meter {
            targets,
            hz: ticks_per_second(),
        }
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let stats = all_stats();
        Snapshot {
            trees: self
                .targets
                .iter()
                .map(|t| tree_ticks(&stats, t.pid))
                .collect(),
            own: stats.get(&std::process::id()).map(|s| s.ticks),
            machine: machine_ticks(),
        }
    }

    /// The report's `cpu` object: seconds and µs per vote for each target, for the generator
    /// itself, for the whole machine and for everything else (the machine less all of these:
    /// other people's work on a shared machine, which makes the run's latencies noise).
    pub(crate) fn report(&self, before: &Snapshot, after: &Snapshot, votes: u64) -> Value {
        let secs = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / self.hz),
            _ => None,
        };
        let entry = |pid: Option<u32>, s: Option<f64>| {
            json!({
                "pid": pid,
                "cpu_s": s,
                "us_per_vote": s.filter(|_| votes > 0).map(|s| s * 1e6 / votes as f64),
            })
        };
        let mut out = serde_json::Map::new();
        let mut known = 0.0;
        for (i, t) in self.targets.iter().enumerate() {
            let s = secs(before.trees[i], after.trees[i]);
            known += s.unwrap_or(0.0);
            out.insert(t.name.clone(), entry(Some(t.pid), s));
        }
        let own = secs(before.own, after.own);
        known += own.unwrap_or(0.0);
        out.insert("loadgen".into(), entry(Some(std::process::id()), own));
        let machine = secs(before.machine, after.machine);
        out.insert("machine".into(), entry(None, machine));
        out.insert(
            "others".into(),
            entry(None, machine.map(|m| (m - known).max(0.0))),
        );
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_bad_ones_are_refused() {
        let t = parse_target("postgres=123").unwrap();
        assert_eq!((t.name.as_str(), t.pid), ("postgres", 123));
        assert!(parse_target("postgres").is_err());
        assert!(parse_target("=12").is_err());
        assert!(parse_target("x=abc").is_err());
    }

    #[test]
    fn own_process_tree_is_found_and_its_time_does_not_go_back() {
        let meter = Meter::new(vec![Target {
            name: "me".into(),
            pid: std::process::id(),
        }]);
        let before = meter.snapshot();
        // Some work of our own, so that at least a tick may pass.
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = meter.snapshot();
        let r = meter.report(&before, &after, 10);
        assert!(r["me"]["cpu_s"].as_f64().unwrap() >= 0.0);
        assert!(r["machine"]["cpu_s"].as_f64().unwrap() >= 0.0);
        assert!(r["me"]["us_per_vote"].is_number());
    }

    #[test]
    fn a_gone_process_reads_as_unknown() {
        let meter = Meter::new(vec![Target {
            name: "gone".into(),
            pid: u32::MAX,
        }]);
        let s = meter.snapshot();
        let r = meter.report(&s, &meter.snapshot(), 1);
        assert!(r["gone"]["cpu_s"].is_null());
    }
}
