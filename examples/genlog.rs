//! Generates a capture directory with realistic `log show --style ndjson` output of a given size,
//! for benchmarks (scripts/bench.sh) and soak tests.
//!
//! Usage: `cargo run --release --example genlog -- OUT_DIR SIZE_MB [healthy|stuck] [sparse|dense|compact|apsd]`
//!
//! The entries use the full key set of real `log show --style json` entries (fixture
//! log_show_json__windowserver_entry_with_backtrace.json) and the ndjson framing of real output
//! (a non-JSON "Filtering the log data" header, a {"count":N,"finished":1} trailer), run by root
//! (`userID` 0, as the daemons run) from the daemons' exact image paths. Messages are
//! the mdmclient shapes of the fixtures (tests/fixtures/samples). Three shapes of output:
//! - `sparse` (default): what `process == "mdmclient" OR subsystem == "com.apple.ManagedClient"`
//!   returns: mostly chatter around the check-ins, so a scan cannot shortcut on every line;
//! - `dense`: what the shipped predicate returns (the same sources AND `eventMessage CONTAINS` a
//!   marker): every line a marker line;
//! - `apsd`: `log_apsd.stdout`, what apsd's exact image path selects (push-connection chatter; the
//!   message shapes are illustrative, not verbatim).

// A developer tool outside the agent: it reads and writes files directly (clippy.toml's bans
// are the library's boundary).
#![allow(clippy::disallowed_methods)]

use std::io::{BufWriter, Write};

const CHATTER: &[(&str, &str, &str)] = &[
    (
        "com.apple.ManagedClient",
        "MDMDaemon",
        "Checking for MDM configuration profile",
    ),
    (
        "com.apple.ManagedClient",
        "HTTPUtil",
        ">>>>> Sending HTTP request (PUT) [Idle] >>>>>",
    ),
    (
        "com.apple.ManagedClient",
        "OSUpdate",
        "=== OS Update Item ===",
    ),
    (
        "com.apple.ManagedClient",
        "OSUpdate",
        "Product Key:          MSU_UPDATE_24C101_patch_15.2_minor",
    ),
    (
        "com.apple.ManagedClient",
        "OSUpdate",
        "Version:              15.2 <Build: 24C101> <PMV: 15.2>",
    ),
    (
        "com.apple.ManagedClient",
        "DeclarativeManagement",
        "Processing status subscription: softwareupdate.install-state",
    ),
    (
        "com.apple.ManagedClient",
        "MDMDaemon",
        "Looking up APNs topic for <private>",
    ),
    (
        "com.apple.ManagedClient",
        "ProfileManagement",
        "Profile 'com.example.wifi' is installed and unchanged",
    ),
];

/// apsd-like lines (illustrative shapes: connection state and topic deliveries; the courier
/// connection line is the `apsd.connected` shape, so the apsd summary keeps events).
const APSD: &[(&str, &str, &str)] = &[
    (
        "com.apple.apsd",
        "courier",
        "Connected to courier 18-courier.push.apple.com (17.57.144.12) port 5223",
    ),
    (
        "com.apple.apsd",
        "courier",
        "<APSCourier: 0x7f8b1c004a30>: Stream processing: complete yes, hasExistingConnection yes",
    ),
    (
        "com.apple.apsd",
        "connection",
        "Received message for enabled topic 'com.apple.mgmt.External.3fb48527-9aaa-492d-94fc-efd999d812a3' onInterface: NonCellular with payload '<private>' with priority 10",
    ),
    (
        "com.apple.apsd",
        "connection",
        "Sending filter message for enabled hashes {(<private>)}",
    ),
    (
        "com.apple.apsd",
        "power",
        "Connection keep-alive sent on interface NonCellular, next in 1800 seconds",
    ),
];

/// Marker lines only, as the shipped predicate returns them.
const DENSE: &[(&str, &str, &str)] = &[
    (
        "com.apple.ManagedClient",
        "MDMDaemon",
        "Processing server request: DeviceInformation for: <Device> (3fb48527-9aaa-492d-94fc-efd999d812a3) PowerNap: no",
    ),
    (
        "com.apple.ManagedClient",
        "HTTPUtil",
        ">>>>> Sending HTTP request (PUT) [Acknowledged(DeviceInformation):0] >>>>>",
    ),
    (
        "com.apple.ManagedClient",
        "HTTPUtil",
        "Received HTTP response (200) [Acknowledged(DeviceInformation):0]",
    ),
    (
        "com.apple.ManagedClient",
        "HTTPUtil",
        ">>>>> Sending HTTP request (PUT) [Idle] >>>>>",
    ),
    (
        "com.apple.ManagedClient",
        "HTTPUtil",
        "Received HTTP response (200) [Idle]",
    ),
];

/// Short marker messages (the fixtures' check-in lines).
const COMPACT: &[&str] = &[
    "Sending HTTP request (PUT) [Idle]",
    "Received HTTP response (200) [Idle]",
    "Processing server request: DeviceInformation",
    "Received HTTP response (200) [Acknowledged]",
];

/// A compact entry: the keys `log show --style ndjson` prints, without a backtrace, short message.
fn compact_entry(ts: &str, pid: u32, message: &str, trace: u64) -> String {
    format!(
        concat!(
            "{{\"traceID\":{trace},\"eventMessage\":\"{msg}\",\"eventType\":\"logEvent\",\"source\":null,",
            "\"formatString\":\"%{{public}}s\",\"activityIdentifier\":0,\"subsystem\":\"com.apple.ManagedClient\",\"category\":\"HTTPUtil\",",
            "\"threadID\":{thread},\"senderImageUUID\":\"5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11\",",
            "\"bootUUID\":\"\",\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"senderImagePath\":\"\\/usr\\/libexec\\/mdmclient\",",
            "\"timestamp\":\"{ts}\",\"machTimestamp\":{mach},\"messageType\":\"Default\",\"processImageUUID\":\"5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11\",",
            "\"processID\":{pid},\"userID\":0,\"senderProgramCounter\":81234,\"parentActivityIdentifier\":0,\"timezoneName\":\"\"}}"
        ),
        trace = trace,
        msg = message,
        thread = 0x4d0d + (trace % 7),
        ts = ts,
        mach = 1_000_000_000u64 + trace * 1_000,
        pid = pid,
    )
}

fn entry_of(
    image: &str,
    ts: &str,
    pid: u32,
    subsystem: &str,
    category: &str,
    message: &str,
    trace: u64,
) -> String {
    entry(ts, pid, subsystem, category, message, trace)
        .replace("\\/usr\\/libexec\\/mdmclient", &image.replace('/', "\\/"))
}

fn entry(ts: &str, pid: u32, subsystem: &str, category: &str, message: &str, trace: u64) -> String {
    let escaped = message
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('/', "\\/");
    format!(
        concat!(
            "{{\"traceID\":{trace},\"eventMessage\":\"{msg}\",\"eventType\":\"logEvent\",\"source\":null,",
            "\"formatString\":\"%{{public}}s\",\"activityIdentifier\":0,\"subsystem\":\"{sub}\",\"category\":\"{cat}\",",
            "\"threadID\":{thread},\"senderImageUUID\":\"5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11\",\"backtrace\":{{\"frames\":[{{\"imageOffset\":81234,\"imageUUID\":\"5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11\"}}]}},",
            "\"bootUUID\":\"\",\"processImagePath\":\"\\/usr\\/libexec\\/mdmclient\",\"senderImagePath\":\"\\/usr\\/libexec\\/mdmclient\",",
            "\"timestamp\":\"{ts}\",\"machTimestamp\":{mach},\"messageType\":\"Default\",\"processImageUUID\":\"5B2A8E0C-2F2E-3B8A-9C44-7A1E6F0B2D11\",",
            "\"processID\":{pid},\"userID\":0,\"senderProgramCounter\":81234,\"parentActivityIdentifier\":0,\"timezoneName\":\"\"}}"
        ),
        trace = trace,
        msg = escaped,
        sub = subsystem,
        cat = category,
        thread = 0x4d0d + (trace % 7),
        ts = ts,
        mach = 1_000_000_000u64 + trace * 1_000,
        pid = pid,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: genlog OUT_DIR SIZE_MB [healthy|stuck] [sparse|dense|compact|apsd]");
        std::process::exit(2);
    }
    let out = std::path::PathBuf::from(&args[1]);
    let size_mb: u64 = args[2].parse().expect("SIZE_MB is a number");
    let stuck = args[3..].iter().any(|s| s == "stuck");
    let dense = args[3..].iter().any(|s| s == "dense");
    let apsd = args[3..].iter().any(|s| s == "apsd");
    let compact = args[3..].iter().any(|s| s == "compact");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("meta.json"),
        "{\"captured_at\": \"2026-11-20T10:00:00-05:00\", \"mdmwatch_version\": \"bench\", \"root\": true}\n",
    )
    .unwrap();
    let target = size_mb * 1024 * 1024;
    let name = if apsd {
        "log_apsd.stdout"
    } else {
        "log_mdmclient.stdout"
    };
    let file = std::fs::File::create(out.join(name)).unwrap();
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let header = if apsd {
        "Filtering the log data using \"processImagePath == \\\"/System/Library/PrivateFrameworks/ApplePushService.framework/apsd\\\"\"\n"
    } else {
        "Filtering the log data using \"process == \\\"mdmclient\\\" OR subsystem == \\\"com.apple.ManagedClient\\\"\"\n"
    };
    w.write_all(header.as_bytes()).unwrap();
    let mut written = header.len() as u64;
    let mut n: u64 = 0;
    // Spread entries over the 90 minutes before captured_at (08:30:00 .. 10:00:00 -0500).
    let span_us: u64 = 90 * 60 * 1_000_000;
    let est_entries = (target / if compact { 643 } else { 900 }).max(1);
    while written < target {
        let t_us = 8 * 3600 * 1_000_000
            + 30 * 60 * 1_000_000
            + (n * span_us / est_entries).min(span_us - 1);
        let (h, m, s, us) = (
            t_us / 3_600_000_000,
            (t_us / 60_000_000) % 60,
            (t_us / 1_000_000) % 60,
            t_us % 1_000_000,
        );
        let ts = format!("2026-11-20 {h:02}:{m:02}:{s:02}.{us:06}-0500");
        let line = if apsd {
            let (sub, cat, msg) = APSD[(n as usize) % APSD.len()];
            entry_of(
                "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
                &ts,
                412,
                sub,
                cat,
                msg,
                n,
            )
        } else if compact {
            let msg = COMPACT[(n as usize) % COMPACT.len()];
            compact_entry(&ts, 1738, msg, n)
        } else if dense {
            let (sub, cat, msg) = DENSE[(n as usize) % DENSE.len()];
            entry(&ts, 1738, sub, cat, msg, n)
        } else {
            match n % 100 {
            // A check-in every 100 entries: command, then its answer 50 entries later (98 %
            // chatter).
            0 => entry(&ts, 1738, "com.apple.ManagedClient", "MDMDaemon",
                "Processing server request: DeviceInformation for: <Device> (3fb48527-9aaa-492d-94fc-efd999d812a3) PowerNap: no", n),
            50 if stuck => entry(&ts, 1738, "com.apple.ManagedClient", "HTTPUtil",
                "Received HTTP response (503) [Error(DeviceInformation):0]", n),
            50 => entry(&ts, 1738, "com.apple.ManagedClient", "HTTPUtil",
                "Received HTTP response (200) [Acknowledged(DeviceInformation):0]", n),
            _ => {
                let (sub, cat, msg) = CHATTER[(n as usize) % CHATTER.len()];
                entry(&ts, 1738, sub, cat, msg, n)
            }
            }
        };
        w.write_all(line.as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
        n += 1;
    }
    let trailer = format!("{{\"count\":{n},\"finished\":1}}\n");
    w.write_all(trailer.as_bytes()).unwrap();
    w.flush().unwrap();
    eprintln!(
        "genlog: {n} entries, {} bytes, into {}",
        written + trailer.len() as u64,
        out.display()
    );
}
