//! Runs one log reader over a file, for scripts/bench.sh (timed from outside, with the same
//! harness as `grep -c`): `logscan FILE MODE`, MODE one of
//! - `mdm`: `mdm_log::summarize` as `diagnose` runs it;
//! - `read`: the ndjson reader alone (`log_ndjson::for_each_entry`), counting entries.
//!
//! Prints what it found, so a run that read nothing is visible.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mode)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: logscan FILE mdm|read");
        std::process::exit(2);
    };
    let file = std::fs::File::open(path).expect("open FILE");
    match mode.as_str() {
        "mdm" => {
            let log = mdmwatch::parse::mdm_log::summarize(file).expect("mdmclient log");
            println!(
                "entries {} responses {} receipts {} rejected {}",
                log.stats.entries,
                log.count("mdm.http_response"),
                log.count("mdm.command_receipt"),
                log.rejected.count
            );
        }
        "read" => {
            let mut n = 0u64;
            let mut bytes = 0usize;
            let stats = mdmwatch::parse::log_ndjson::for_each_entry(file, |e| {
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
