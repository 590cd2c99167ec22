//! Runs one log reader over a file, for scripts/bench.sh (timed from outside, with the same
//! harness as `grep -c`): `logscan FILE MODE`, MODE one of
//! - `mdm`: `mdm_log::summarize` as `diagnose` runs it;
//! - `mdm-reference` (with `--features reference`): the straightforward fold it must equal
//!   (`parse::reference::mdm_summarize`: a fresh `LogLine` per event): the before of the
//!   summariser's work;
//! - `su`, `apsd`: `su_log::summarize`, `apsd_log::summarize`;
//! - `read`: the ndjson reader alone (`log_ndjson::for_each_entry`), counting entries.
//!
//! Prints what it found, so a run that read nothing is visible.

// A developer tool outside the agent: it reads and writes files directly (clippy.toml's bans
// are the library's boundary).
#![allow(clippy::disallowed_methods)]

use mdmwatch::parse::{apsd_log, log_ndjson, mdm_log, su_log};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mode)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: logscan FILE mdm|mdm-reference|su|apsd|read");
        std::process::exit(2);
    };
    let file = std::fs::File::open(path).expect("open FILE");
    let mdm = |log: mdm_log::MdmLog| {
        println!(
            "entries {} events {} responses {} receipts {} rejected {} user channel {}",
            log.stats.entries,
            log.events.len(),
            log.count("mdm.http_response"),
            log.count("mdm.command_receipt"),
            log.rejected.count,
            log.user_channel
        );
    };
    match mode.as_str() {
        "mdm" => mdm(mdm_log::summarize(file).expect("mdmclient log")),
        #[cfg(feature = "reference")]
        "mdm-reference" => mdm(mdmwatch::parse::reference::mdm_summarize(
            file,
            mdm_log::MAX_EVENTS,
        )
        .expect("mdmclient log")),
        "su" => {
            let log = su_log::summarize(file).expect("softwareupdate log");
            println!(
                "entries {} events {} status reports {} rejected {}",
                log.summary.stats.entries,
                log.events().len(),
                log.status_reports.len(),
                log.summary.rejected.count
            );
        }
        "apsd" => {
            let log = apsd_log::summarize(file).expect("apsd log");
            println!(
                "entries {} events {} connected {} rejected {}",
                log.stats.entries,
                log.events.len(),
                log.count("apsd.connected"),
                log.rejected.count
            );
        }
        "read" => {
            let mut n = 0u64;
            let mut bytes = 0usize;
            let stats = log_ndjson::for_each_entry(file, |e| {
                n += 1;
                bytes += e.message.len() + e.process_image_path.len();
            })
            .expect("reads");
            println!("entries {n} lines {} field bytes {bytes}", stats.lines);
        }
        other => {
            eprintln!("logscan: unknown mode {other}");
            std::process::exit(2);
        }
    }
}
