//! In-memory fake of the OS for tests: scripted answers per probe id, a log of every call.
//!
//! It fails loudly: a probe it was not given panics the test, so no code path can silently read
//! empty output for a command nobody scripted.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use futures::future::BoxFuture;

use super::{LogUnion, LogUnionResults, Payload, Probe, ProbeResult, System};

/// One scripted answer.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub available: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: Option<i32>,
    pub timed_out: bool,
}

impl Answer {
    pub fn ok(stdout: impl Into<Vec<u8>>) -> Answer {
        Answer {
            available: true,
            stdout: stdout.into(),
            exit_status: Some(0),
            ..Answer::default()
        }
    }

    pub fn fail(exit: i32, stderr: impl Into<Vec<u8>>) -> Answer {
        Answer {
            available: true,
            stderr: stderr.into(),
            exit_status: Some(exit),
            ..Answer::default()
        }
    }

    pub fn missing() -> Answer {
        Answer::default()
    }

    pub fn timeout() -> Answer {
        Answer {
            available: true,
            timed_out: true,
            ..Answer::default()
        }
    }
}

#[derive(Debug)]
pub struct FakeSystem {
    now: DateTime<FixedOffset>,
    root: bool,
    live: bool,
    /// Plays this machine itself rather than a Mac (see `System::is_this_host`).
    this_host: bool,
    /// Queues of answers per probe id; the last answer repeats.
    answers: Mutex<HashMap<String, Vec<Answer>>>,
    calls: Mutex<Vec<Probe>>,
}

impl FakeSystem {
    pub fn new(now: DateTime<FixedOffset>) -> FakeSystem {
        FakeSystem {
            now,
            root: true,
            live: true,
            this_host: false,
            answers: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn root(mut self, root: bool) -> FakeSystem {
        self.root = root;
        self
    }

    /// Play this machine itself (its paths are system paths), not a Mac.
    pub fn this_host(mut self) -> FakeSystem {
        self.this_host = true;
        self
    }

    /// Behave like a replay (heal executes nothing).
    #[cfg(test)]
    pub(crate) fn not_live(mut self) -> FakeSystem {
        self.live = false;
        self
    }

    /// Adds an answer for `id`; several answers for one id are returned in order.
    pub fn answer(&self, id: &str, answer: Answer) -> &FakeSystem {
        self.answers
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .push(answer);
        self
    }

    /// Every probe run so far, in order.
    pub fn calls(&self) -> Vec<Probe> {
        self.calls.lock().unwrap().clone()
    }

    /// The command lines of every probe run so far.
    #[cfg(test)]
    pub(crate) fn command_lines(&self) -> Vec<String> {
        self.calls()
            .iter()
            .filter(|p| matches!(p.source, super::Source::Command { .. }))
            .map(|p| p.display())
            .collect()
    }
}

impl FakeSystem {
    /// The next scripted answer for `probe` (not recorded as a call).
    fn respond(&self, probe: &Probe) -> ProbeResult {
        {
            let answer = {
                let mut map = self.answers.lock().unwrap();
                let queue = map.get_mut(&probe.id).unwrap_or_else(|| {
                    panic!(
                        "FakeSystem: no answer scripted for probe {:?} ({})",
                        probe.id,
                        probe.display()
                    )
                });
                if queue.len() > 1 {
                    queue.remove(0)
                } else {
                    queue[0].clone()
                }
            };
            if !answer.available {
                return ProbeResult::unavailable(&probe.id, "not available (fake)");
            }
            let mut stdout = answer.stdout;
            let truncated = stdout.len() as u64 > probe.max_bytes;
            stdout.truncate(probe.max_bytes as usize);
            ProbeResult {
                id: probe.id.clone(),
                available: true,
                error: None,
                exit_status: if answer.timed_out {
                    None
                } else {
                    answer.exit_status
                },
                timed_out: answer.timed_out,
                truncated,
                duration: Duration::ZERO,
                duration_unknown: false,
                recorded_args: None,
                stdout: if stdout.is_empty() {
                    Payload::Empty
                } else {
                    Payload::Memory(stdout)
                },
                stderr: answer.stderr,
            }
        }
    }
}

impl System for FakeSystem {
    fn run<'a>(&'a self, probe: &'a Probe) -> BoxFuture<'a, ProbeResult> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(probe.clone());
            self.respond(probe)
        })
    }

    /// As the live system: one process (one recorded call, the union's command) answers every
    /// stream; each stream's output is the answer scripted for its own id.
    fn run_log_union<'a>(&'a self, logs: &'a LogUnion) -> BoxFuture<'a, LogUnionResults> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(logs.union.clone());
            LogUnionResults {
                results: logs.streams.iter().map(|p| self.respond(p)).collect(),
                combined: true,
            }
        })
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }

    fn is_live(&self) -> bool {
        self.live
    }

    fn is_root(&self) -> bool {
        self.root
    }

    fn describe(&self) -> String {
        "fake".to_string()
    }

    fn is_this_host(&self) -> bool {
        self.this_host
    }
}
