//! The load generator's command line: every knob of a run, with its default. Its own file so
//! that `main.rs` reads as the run's steps, and each scenario takes the options it needs.

use clap::Parser;
use std::net::SocketAddr;

use crate::cpu;

#[derive(Parser, Debug, Clone)]
#[command(about = "Load generator for the voting-game server")]
pub(crate) struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub(crate) server: SocketAddr,
    /// Open the sockets on these servers instead (host:port,…): room i's players on the
    /// i-th in turn, so each room lives on one node and rooms spread evenly over the nodes;
    /// `--scenario polls` spreads its subscribers and voters the same way. REST still goes to
    /// `--server`.
    #[arg(long, value_delimiter = ',')]
    pub(crate) socket_servers: Vec<SocketAddr>,
    /// Rooms played at once.
    #[arg(long, default_value_t = 10)]
    pub(crate) rooms: usize,
    /// Players per room (the first is the host).
    #[arg(long, default_value_t = 8)]
    pub(crate) players: usize,
    /// Rounds per game (1–20).
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: u32,
    /// Votes of a round are spread at random over this window (0: all at once).
    #[arg(long, default_value_t = 100)]
    pub(crate) vote_spread_ms: u64,
    /// Each room starts its game after a random delay up to this, so that rooms do not play
    /// in lockstep (a steady rather than a bursty load).
    #[arg(long, default_value_t = 0)]
    pub(crate) stagger_ms: u64,
    /// Pause between rounds, per room (sets the sustained vote rate).
    #[arg(long, default_value_t = 0)]
    pub(crate) round_pause_ms: u64,
    /// Only connect and join, then hold the connections this many seconds (idle capacity).
    #[arg(long)]
    pub(crate) idle_hold: Option<u64>,
    /// Server process id, to read its RSS from /proc.
    #[arg(long)]
    pub(crate) server_pid: Option<u32>,
    /// Spread client connections over 127.0.0.1..=127.0.0.N source addresses.
    #[arg(long, default_value_t = 1)]
    pub(crate) sources: u8,
    /// Connections opened at once.
    #[arg(long, default_value_t = 256)]
    pub(crate) connect_concurrency: usize,
    /// Write the JSON report here.
    #[arg(long)]
    pub(crate) json: Option<std::path::PathBuf>,
    /// Scenario name in the report.
    #[arg(long, default_value = "full-rounds")]
    pub(crate) scenario: String,
    /// Keep the players' tokens in this file and reuse them on the next run (registering
    /// thousands of players is mostly password hashing, which is not what is measured).
    #[arg(long)]
    pub(crate) accounts: Option<std::path::PathBuf>,
    /// Password of the generated accounts.
    #[arg(long, default_value = "loadgen-password")]
    pub(crate) password: String,
    /// Only make (or reuse) the `--rooms` × `--players` accounts, save them to `--accounts`
    /// and exit: a comparison registers beforehand so that password hashing is not measured.
    #[arg(long)]
    pub(crate) register_only: bool,
    /// Measure the CPU time (user + system, from /proc) of this process and its descendants
    /// over the games only, and report it per vote: `--cpu server=1234 --cpu postgres=99`.
    #[arg(long = "cpu", value_name = "NAME=PID", value_parser = cpu::parse_target)]
    pub(crate) cpu: Vec<cpu::Target>,
    /// Where a vote's latency starts: its `scheduled` send time (the default: a generator
    /// that falls behind counts against the server, queueing is never hidden), or the moment
    /// it was `sent` (without the up-to-1 ms lateness of the generator's timer, for a light
    /// load where the generator is never behind).
    #[arg(long, value_enum, default_value_t = LatencyFrom::Scheduled)]
    pub(crate) latency_from: LatencyFrom,
    /// Audience members watching (and voting in) the first room (`audience.rs`).
    #[arg(long, default_value_t = 0)]
    pub(crate) audience: usize,
    /// `--scenario polls`: anonymous sockets watching the hot poll.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) poll_subscribers: usize,
    /// `--scenario polls`: votes per second into the hot poll, all voters together (the
    /// voters are the `--rooms` × `--players` accounts).
    #[arg(long, default_value_t = 5_000.0)]
    pub(crate) poll_rate: f64,
    /// `--scenario polls`: seconds of voting.
    #[arg(long, default_value_t = 10)]
    pub(crate) poll_seconds: u64,
    /// `--scenario polls`: polls with ten votes each beside the hot one.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) cold_polls: usize,
    /// `--scenario polls`: the hot poll's kind. `ranked` sends each vote as a new ranking (a
    /// random order of some or all of its options), and every broadcast carries the runoff.
    #[arg(long, value_enum, default_value_t = PollKind::Choice)]
    pub(crate) poll_kind: PollKind,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollKind {
    Choice,
    Ranked,
}

impl Args {
    /// The server the `i`-th room's (subscriber's) sockets connect to.
    pub(crate) fn socket_server(&self, i: usize) -> SocketAddr {
        match self.socket_servers.len() {
            0 => self.server,
            n => self.socket_servers[i % n],
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LatencyFrom {
    Scheduled,
    Sent,
}

impl LatencyFrom {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LatencyFrom::Scheduled => "scheduled",
            LatencyFrom::Sent => "sent",
        }
    }
}
