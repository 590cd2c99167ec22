//! Running a program in a test: [`Run`] keeps the command line with the exit status and output,
//! so a failed assertion on it shows all four (as ripgrep's `tests/util.rs` does).

use std::fmt;
use std::process::{Command, ExitStatus, Output};

/// One run of a program: the command line and what it produced. Its `Debug` (and `Display`)
/// shows all four, so `assert!(cond, "{out:?}")` or the `assert_*` helpers say everything on
/// failure (as ripgrep's `tests/util.rs` does).
pub struct Run {
    pub cmd: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn new(cmd: &Command, out: Output) -> Run {
        Run {
            cmd: format!("{cmd:?}"),
            status: out.status,
            stdout: out.stdout,
            stderr: out.stderr,
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Panics (at the caller) unless the program exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        if self.status.code() != Some(code) {
            panic!("expected exit code {code}\n{self}");
        }
        self
    }

    /// Panics (at the caller) unless `ok` holds, printing `what` and the whole run.
    #[track_caller]
    pub fn assert_that(&self, ok: bool, what: &str) -> &Run {
        if !ok {
            panic!("{what}\n{self}");
        }
        self
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n---- command ----\n{}\n---- status ----\n{}\n---- stdout ----\n{}\n---- stderr ----\n{}\n",
            self.cmd,
            self.status,
            self.stdout_text(),
            self.stderr_text()
        )
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Runs `cmd` to completion (stdin null, output captured).
pub fn run(mut cmd: Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run::new(&cmd, out)
}

/// The built `mdmwatch` binary with `args`, `MDMWATCH_LOG` unset.
#[allow(clippy::disallowed_methods)] // tests run the built binary
pub fn mdmwatch_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mdmwatch"));
    c.args(args).env_remove("MDMWATCH_LOG");
    c
}

pub fn mdmwatch(args: &[&str]) -> Run {
    run(mdmwatch_command(args))
}
