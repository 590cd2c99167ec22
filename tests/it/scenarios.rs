//! End to end: the binary on each bundled capture (`diagnose --json --replay`), one row per
//! scenario, asserting the Addigy keys, the MDM-health statuses, the liveness states and causes,
//! the push state and the readiness verdict; then heal decisions on the same captures, and the
//! human report's shape. The `real-*` captures hold verbatim macOS log lines in a constructed
//! ndjson wrapper (tests/fixtures/logs-real/README.md); each has an EXPECTED.md whose verdict the
//! row below asserts.

use crate::common::*;

struct Case {
    capture: &'static str,
    exit: i32,
    /// MDMEnrolled, MDMIdentityError, MDMClientStuck, MDMSoftwareUpdatesStuck (None = null).
    keys: [Option<bool>; 4],
    /// mdm.enrollment, mdm.identity, mdm.client_liveness, softwareupdate.daemon_liveness.
    statuses: [&'static str; 4],
    client_state: &'static str,
    /// (softwareupdated state, its cause or "").
    su: (&'static str, &'static str),
    /// The mdmclient cause, or "".
    client_cause: &'static str,
    push: &'static str,
    update_verdict: &'static str,
    /// Heal's dry-run action for (mdmclient, softwareupdated), with the reason code.
    heal: [(&'static str, &'static str); 2],
}

const NONE_ALIVE: (&str, &str) = ("none", "not_stuck");
const NONE_QUIET: (&str, &str) = ("none", "quiet");

const CASES: &[Case] = &[
    Case {
        capture: "healthy",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    Case {
        capture: "not-enrolled",
        exit: 1,
        keys: [Some(false), Some(false), Some(false), Some(false)],
        // Enrollment-dependent checks do not apply on an unenrolled Mac.
        statuses: ["failed", "not_applicable", "not_applicable", "ok"],
        client_state: "quiet",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_QUIET, NONE_ALIVE],
    },
    Case {
        capture: "identity-expired",
        exit: 1,
        keys: [Some(true), Some(true), Some(false), Some(false)],
        statuses: ["ok", "failed", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    // The certificate is valid but has no private key: a stale enrollment, MDMIdentityError.
    Case {
        capture: "identity-no-private-key",
        exit: 1,
        keys: [Some(true), Some(true), Some(false), Some(false)],
        statuses: ["ok", "failed", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    Case {
        capture: "identity-expiring",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "warning", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    // `[ERROR] … Unable to create MDM identity` only: an identity failure (mdm.identity), and no
    // exchange or HTTP failure at all, so the channel itself is quiet.
    Case {
        capture: "mdmclient-identity-error",
        exit: 1,
        keys: [Some(true), Some(true), Some(false), Some(false)],
        statuses: ["ok", "failed", "ok", "ok"],
        client_state: "quiet",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_QUIET, NONE_ALIVE],
    },
    // 503, 503, 502, then 401 and no success: failing, and the dominant cause names it (the
    // server fails; the one 401 is evidence, not grounds for re-enrolment); a restart cannot fix
    // that.
    Case {
        capture: "mdmclient-stuck",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("alive", ""),
        client_cause: "server_error",
        push: "connected",
        update_verdict: "blocked",
        heal: [("none", "server_error"), NONE_ALIVE],
    },
    Case {
        capture: "mdmclient-stuck-unanswered",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("alive", ""),
        client_cause: "client_wedged",
        push: "connected",
        update_verdict: "blocked",
        heal: [("would_restart", "dry_run"), NONE_ALIVE],
    },
    Case {
        capture: "mdmclient-quiet",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "quiet",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_QUIET, NONE_QUIET],
    },
    // mdmclient's only sign of trouble is the unverified `mdm.transport_error` pattern
    // (NSURLErrorDomain after every check-in), from its exact image path and uid 0: a warning,
    // never a key, and heal says `unverified_evidence`, never would_restart.
    Case {
        capture: "mdmclient-network-unverified",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "warning", "ok"],
        client_state: "failing",
        su: ("alive", ""),
        client_cause: "transport_failure",
        push: "connected",
        update_verdict: "ready",
        heal: [("none", "unverified_evidence"), NONE_ALIVE],
    },
    // One check-in answered 403 and nothing else wrong: the server refuses the identity
    // (auth_rejected, the channel's identity_refused); a restart cannot fix that.
    Case {
        capture: "mdmclient-http-403",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("alive", ""),
        client_cause: "auth_rejected",
        push: "connected",
        update_verdict: "blocked",
        heal: [("none", "auth_rejected"), NONE_ALIVE],
    },
    // mdmclient wedged on ScheduleOSUpdate and the prepare progress silent for 67 min: both
    // restartable.
    Case {
        capture: "softwareupdate-stuck",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(true)],
        statuses: ["ok", "ok", "failed", "failed"],
        client_state: "failing",
        su: ("stalled", "stalled"),
        client_cause: "client_wedged",
        push: "connected",
        update_verdict: "blocked",
        heal: [("would_restart", "dry_run"), ("would_restart", "dry_run")],
    },
    // The same wedged mdmclient, but an install is in flight: nothing is touched.
    Case {
        capture: "softwareupdate-installing",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("installing", ""),
        client_cause: "client_wedged",
        push: "connected",
        update_verdict: "blocked",
        heal: [("none", "install_in_progress"), ("none", "installing")],
    },
    Case {
        capture: "probe-failures",
        exit: 0,
        keys: [Some(true), None, None, None],
        statuses: ["ok", "unknown", "unknown", "unknown"],
        client_state: "unknown",
        su: ("unknown", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "unknown",
        heal: [("none", "unknown"), ("none", "unknown")],
    },
    // ---- verbatim log text (EXPECTED.md in each capture)
    Case {
        capture: "real-healthy-exchange",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    Case {
        capture: "real-su-installing",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("installing", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    Case {
        capture: "real-su-applying",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("installing", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    // The APPLYING capture an hour later (captured_at 11:00): the Mac restarted into the
    // installer; silence after APPLYING is not a stall, so heal withholds.
    Case {
        capture: "real-su-applying-hour-later",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "quiet",
        su: ("installing", ""),
        client_cause: "",
        push: "unknown",
        update_verdict: "ready",
        heal: [NONE_QUIET, ("none", "installing")],
    },
    Case {
        capture: "real-su-prepared",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("installing", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    Case {
        capture: "real-scan-complete",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    // A generic [ERROR] (app install refused) after good exchanges: not a failure.
    Case {
        capture: "real-app-install-error",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // Receipts and no HTTP line at all: alive; unanswered cannot be judged.
    Case {
        capture: "real-receipts-no-http",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    Case {
        capture: "real-user-channel",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // apsd cannot get its identity certificate: push disconnected, the cause of a quiet mdmclient.
    Case {
        capture: "real-apsd-disconnected",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "quiet",
        su: ("quiet", ""),
        client_cause: "",
        push: "disconnected",
        update_verdict: "blocked",
        heal: [NONE_QUIET, NONE_QUIET],
    },
    // Forged 503s, identity errors, install-state and stalled:YES from /Users/…: all ignored.
    Case {
        capture: "real-forged-entries",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    // A wedged client beside forged "installing" claims: the forgeries neither block nor cause.
    Case {
        capture: "real-wedged-forged-installing",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("quiet", ""),
        client_cause: "client_wedged",
        push: "connected",
        update_verdict: "blocked",
        heal: [("would_restart", "dry_run"), NONE_QUIET],
    },
    // ---- DDM era, macOS 26 and 27 (make_ddm_scenarios.py; EXPECTED.md in each)
    // 27: declaration 41 h overdue, nothing installing, nothing blocking: stuck (stalled), and
    // the verified DDM stall is the one cause heal restarts softwareupdated for.
    Case {
        capture: "ddm27-overdue-stuck",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("would_restart", "dry_run")],
    },
    // The same with the update staged on disk: not stuck, heal withheld.
    Case {
        capture: "ddm27-overdue-staged",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    // The prepared update as the Update volume records it (Update.plist): staged, not stuck.
    Case {
        capture: "ddm27-overdue-staged-update-volume",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    // A prepared update's snapshot no version file names: still stuck (stalled), but heal
    // withholds the restart (the snapshot may be the target waiting for its restart).
    Case {
        capture: "ddm27-overdue-prepare-snapshot",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("none", "update_prepared")],
    },
    // A failure reason: stuck, named, never restarted.
    Case {
        capture: "ddm27-failure-reason",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("none", "download_or_prepare_failing")],
    },
    // On battery at 15 % (20 % needed): stuck for a prerequisite, never restarted.
    Case {
        capture: "ddm27-prerequisites-battery",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("none", "prerequisites_blocking")],
    },
    // `softwareupdate --list` offers 27.0.2 only: the declared 27.1 is not offered; stuck, never
    // restarted (the offered 27.0.2 is what `update` readiness targets).
    Case {
        capture: "ddm27-not-offered",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "not_offered_yet")],
    },
    // The overdue declaration with an `installing` status block from SoftwareUpdateSubscriber as
    // `_rmd` (uid 277): evidence, so installing and not stuck; heal withholds.
    Case {
        capture: "ddm27-installing-rmd",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "installing")],
    },
    // The same block under uid 501 is rejected: stuck (stalled), restarted as ddm27-overdue-stuck.
    Case {
        capture: "ddm27-installing-uid501",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("would_restart", "dry_run")],
    },
    // A managed Mac without its declaration: stuck (declaration missing), never restarted.
    Case {
        capture: "ddm27-declaration-missing",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, ("none", "declaration_missing_or_invalid")],
    },
    // softwareupdated's own stall outranks a status block still saying downloading: stuck
    // (stalled), and heal restarts softwareupdated, as the finding and the key say.
    Case {
        capture: "ddm27-stalled-status-downloading",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "failed"],
        client_state: "alive",
        su: ("stalled", "stalled"),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("would_restart", "dry_run")],
    },
    // softwareupdated follows a declaration the store no longer lists: stuck, named, no restart.
    Case {
        capture: "ddm27-declaration-stale",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(true)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "blocked",
        heal: [NONE_ALIVE, ("none", "declaration_missing_or_invalid")],
    },
    // The same declaration line in install.log only (any process can write there): named as
    // unconfirmed, a warning; not stuck, nothing for heal.
    Case {
        capture: "ddm27-declaration-install-log-only",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // 27 with the legacy surface gone: nothing unknown, nothing stuck.
    Case {
        capture: "macos27-legacy-removed",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // 26: a deadline one hour past, nothing failed: due, enforcement pending (grace), not stuck.
    Case {
        capture: "ddm26-enforcement-pending",
        exit: 1,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // 26.3.1 (a): a Background Security Improvement build satisfies its declaration.
    Case {
        capture: "bsi-26.3.1a",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("alive", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_ALIVE],
    },
    // Evidence only from the daemon itself: a receipt-shaped line (text a user may choose, such as
    // a profile's display name) logged by ManagedClient, a system binary that is not mdmclient,
    // must not make a healthy client "wedged".
    Case {
        capture: "attack-foreign-binary-receipt",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // softwareupdated's own binary logging a label a user chose, holding progress text: the
    // format is matched where it begins, so the quoted `stalled:YES` is no stall.
    Case {
        capture: "attack-su-label-stalled",
        exit: 0,
        keys: [Some(true), Some(false), Some(false), Some(false)],
        statuses: ["ok", "ok", "ok", "ok"],
        client_state: "alive",
        su: ("quiet", ""),
        client_cause: "",
        push: "connected",
        update_verdict: "ready",
        heal: [NONE_ALIVE, NONE_QUIET],
    },
    // A quoted progress claim beside a wedged client: neither service's heal is withheld by it.
    Case {
        capture: "attack-quoted-progress",
        exit: 1,
        keys: [Some(true), Some(false), Some(true), Some(false)],
        statuses: ["ok", "ok", "failed", "ok"],
        client_state: "failing",
        su: ("quiet", ""),
        client_cause: "client_wedged",
        push: "connected",
        update_verdict: "blocked",
        heal: [("would_restart", "dry_run"), NONE_QUIET],
    },
];

const CHECKS: [&str; 4] = [
    "mdm.enrollment",
    "mdm.identity",
    "mdm.client_liveness",
    "softwareupdate.daemon_liveness",
];
const KEYS: [&str; 4] = [
    "MDMEnrolled",
    "MDMIdentityError",
    "MDMClientStuck",
    "MDMSoftwareUpdatesStuck",
];

#[test]
fn each_scenario_capture_is_diagnosed_as_expected() {
    for case in CASES {
        let dir = captures_dir().join(case.capture);
        let (code, r) = diagnose_json(&dir, &[]);
        let c = case.capture;
        assert_eq!(code, case.exit, "{c}: exit");
        for (key, want) in KEYS.iter().zip(case.keys) {
            assert_eq!(r["watchdog"][key].as_bool(), want, "{c}: {key}");
        }
        for (check, want) in CHECKS.iter().zip(case.statuses) {
            assert_eq!(
                status(&r, check),
                want,
                "{c}: {check}: {}",
                r["checks"][check]["summary"]
            );
        }
        assert_eq!(
            r["checks"]["mdm.client_liveness"]["facts"]["state"]
                .as_str()
                .unwrap_or("unknown"),
            case.client_state,
            "{c}"
        );
        let client_cause = r["checks"]["mdm.client_liveness"]["facts"]["cause"]
            .as_str()
            .unwrap_or("");
        assert_eq!(client_cause, case.client_cause, "{c}: mdmclient cause");
        let su = &r["checks"]["softwareupdate.daemon_liveness"]["facts"];
        assert_eq!(
            (
                su["state"].as_str().unwrap_or("unknown"),
                su["cause"].as_str().unwrap_or("")
            ),
            case.su,
            "{c}: softwareupdated: {}",
            r["checks"]["softwareupdate.daemon_liveness"]["summary"]
        );
        assert_eq!(
            r["checks"]["mdm.push"]["facts"]["state"]
                .as_str()
                .unwrap_or("unknown"),
            case.push,
            "{c}: push"
        );
        assert_eq!(
            r["readiness"]["update"]["verdict"], case.update_verdict,
            "{c}: {}",
            r["readiness"]["summary"]
        );
        let h = heal_json(case.capture);
        for (service, want) in ["mdmclient", "softwareupdated"].iter().zip(case.heal) {
            assert_eq!(decision(&h, service), want, "{c}: heal {service}");
        }
        // Every non-ok finding carries a remediation hint or a reason.
        for (id, f) in r["checks"].as_object().unwrap() {
            match f["status"].as_str().unwrap() {
                "failed" | "warning" => {
                    assert!(f["remediation"].is_string(), "{c}: {id} has no remediation")
                }
                "unknown" => assert!(f["reason"].is_string(), "{c}: {id} has no reason"),
                _ => {}
            }
        }
    }
}

#[test]
fn stuck_findings_carry_the_log_lines_as_evidence() {
    let (_, r) = diagnose_json(&captures_dir().join("mdmclient-stuck-unanswered"), &[]);
    let f = &r["checks"]["mdm.client_liveness"];
    assert_eq!(f["facts"]["unanswered_command"], "InstallApplication");
    let ev = f["evidence"].as_array().unwrap();
    assert!(
        ev.iter().any(|e| e["source"] == "log_mdmclient"
            && e["timestamp"].is_string()
            && e["text"]
                .as_str()
                .unwrap()
                .contains("Processing server request: InstallApplication")),
        "{ev:?}"
    );
    let (_, r) = diagnose_json(&captures_dir().join("identity-expired"), &[]);
    let f = &r["checks"]["mdm.identity"];
    assert!(f["facts"]["days_left"].as_i64().unwrap() < 0);
    assert!(f["summary"].as_str().unwrap().contains("expired"));
}

#[test]
fn a_stale_enrollment_names_the_missing_key_and_the_remedy() {
    let (_, r) = diagnose_json(&captures_dir().join("identity-no-private-key"), &[]);
    let f = &r["checks"]["mdm.identity"];
    assert_eq!(f["facts"]["private_key"], false);
    assert_eq!(
        f["facts"]["sha1"],
        "C5C24BD24B3B70071604AEEFC997E8E580A20818"
    );
    assert!(f["summary"]
        .as_str()
        .unwrap()
        .starts_with("stale enrollment (for example after Migration Assistant or a restore)"));
    assert!(f["remediation"].as_str().unwrap().contains("Re-enroll"));
    assert_eq!(r["watchdog"]["MDMIdentityError"], true);
    // The healthy capture lists the same certificate with its key, and reports how it enrolled.
    let (_, h) = diagnose_json(&captures_dir().join("healthy"), &[]);
    assert_eq!(h["checks"]["mdm.identity"]["facts"]["private_key"], true);
    let e = &h["checks"]["mdm.enrollment"]["facts"];
    assert_eq!(e["management_status"]["enrolled_via_dep"], true);
    assert_eq!(e["management_status"]["user_approved_enrollment"], true);
}

/// A `--config` plist choosing Addigy's strict rule (`StrictAddigyLiveness`), written in `dir`.
fn strict_config(dir: &std::path::Path) -> std::path::PathBuf {
    let cfg = dir.join("strict.plist");
    std::fs::write(&cfg, br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>StrictAddigyLiveness</key><true/></dict></plist>
"#).unwrap();
    cfg
}

#[test]
fn strict_addigy_turns_quiet_into_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    let (_, r) = diagnose_json(
        &captures_dir().join("mdmclient-quiet"),
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(r["watchdog"]["MDMClientStuck"], true);
    let facts = &r["checks"]["mdm.client_liveness"]["facts"];
    assert_eq!(facts["state"], "failing");
    assert_eq!(facts["cause"], "strict_addigy_no_200");
    let src = r["config"]["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "StrictAddigyLiveness")
        .unwrap()
        .clone();
    assert_eq!(src["source"], "config_file");
}

/// StrictAddigyLiveness on a window whose every exchange got a 5xx (`channel-server-503`: three
/// 503s, nothing else). The ordinary rules' verified failure is what the client check says under
/// the strict rule too (`server_error`, the more specific word for "no (200)"; MDMClientStuck
/// true), and heal stands down: the channel names `server_errors` whatever the setting, and a
/// restart of mdmclient cannot fix the server (README: never for `server_error`). A quiet window is what the strict rule restarts
/// for (`strict_addigy_restarts_a_quiet_mdmclient`). Before the channel read the evidence
/// under strict, this restarted mdmclient.
#[test]
fn strict_addigy_still_stands_down_on_a_window_of_only_server_errors() {
    let plain = heal_json("channel-server-503");
    assert_eq!(decision(&plain, "mdmclient"), ("none", "server_error"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    let r = heal_json_with("channel-server-503", &["--config", cfg.to_str().unwrap()]);
    let c = &r["checks"]["mdm.client_liveness"]["facts"];
    assert_eq!(c["strict_addigy"], true);
    assert_eq!(
        (&c["state"], &c["cause"]),
        (&"failing".into(), &"server_error".into())
    );
    assert_eq!((&c["failures"], &c["successes"]), (&3.into(), &0.into()));
    assert_eq!(r["watchdog"]["MDMClientStuck"], true);
    assert_eq!(
        decision(&r, "mdmclient"),
        ("none", "server_error"),
        "{}",
        r["heal"]
    );
    // softwareupdated has nothing to do with it.
    assert_eq!(decision(&r, "softwareupdated"), NONE_ALIVE);
}

/// The strict rule's own case: nobody contacted this Mac in the window (`mdmclient-quiet`), which
/// the ordinary rule calls quiet and leaves alone, and Addigy's rule calls stuck: heal would
/// restart mdmclient on the `strict_addigy` ground, and the channel names no cause that stands
/// it down.
#[test]
fn strict_addigy_restarts_a_quiet_mdmclient() {
    let plain = heal_json("mdmclient-quiet");
    assert_eq!(decision(&plain, "mdmclient").0, "none");
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    let r = heal_json_with("mdmclient-quiet", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(
        decision(&r, "mdmclient"),
        ("would_restart", "dry_run"),
        "{}",
        r["heal"]
    );
    let m = &r["heal"]["services"][0];
    assert_eq!(m["cause"], "strict_addigy");
    assert!(
        m["message"]
            .as_str()
            .unwrap()
            .contains("StrictAddigyLiveness"),
        "{m}"
    );
}

/// The strict rule adds Addigy's ground and never takes the ordinary one away: a (200) earlier in
/// the window satisfies Addigy's rule, but the command received after it was never answered
/// (`mdmclient-stuck-unanswered`): the client check still says wedged, `MDMClientStuck` is true
/// and heal would restart mdmclient, as the channel says (before, strict called it alive and heal
/// left it alone while the channel promised a restart).
#[test]
fn strict_addigy_keeps_the_ordinary_wedged_client_ground() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    let r = heal_json_with(
        "mdmclient-stuck-unanswered",
        &["--config", cfg.to_str().unwrap()],
    );
    let c = &r["checks"]["mdm.client_liveness"];
    assert_eq!(
        (&c["status"], &c["facts"]["state"], &c["facts"]["cause"]),
        (&"failed".into(), &"failing".into(), &"client_wedged".into())
    );
    assert_eq!(r["watchdog"]["MDMClientStuck"], true);
    assert_eq!(
        r["checks"]["mdm.channel"]["facts"]["cause"],
        "client_wedged"
    );
    assert_eq!(decision(&r, "mdmclient"), ("would_restart", "dry_run"));
    assert_eq!(r["heal"]["services"][0]["cause"], "client_wedged");
}

/// Addigy's software-update rule reads the same client state: a ScheduleOSUpdate received at
/// 08:40 and never answered, after a (200) at 08:35 (`channel-receipt-unanswered` with its (200)
/// moved into the window). Strict or not, mdmclient is wedged on a software-update command:
/// both keys true, heal would restart both (before, strict read alive: both keys false and
/// softwareupdated left alone without a word).
#[test]
fn strict_addigy_keeps_addigys_software_update_rule() {
    let (tmp, dst) = copy_capture("channel-receipt-unanswered");
    let log = std::fs::read_to_string(dst.join("log_mdmclient.stdout")).unwrap();
    assert!(log.contains("2026-11-20 07:30:02.480000-0500"));
    std::fs::write(
        dst.join("log_mdmclient.stdout"),
        log.replace(
            "2026-11-20 07:30:02.480000-0500",
            "2026-11-20 08:35:02.480000-0500",
        ),
    )
    .unwrap();
    let cfg = strict_config(tmp.path());
    for extra in [vec![], vec!["--config", cfg.to_str().unwrap()]] {
        let mut args = vec!["-heal", "--json", "--replay", dst.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let out = mdmwatch(&args);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["watchdog"]["MDMClientStuck"], true, "{extra:?}");
        assert_eq!(r["watchdog"]["MDMSoftwareUpdatesStuck"], true, "{extra:?}");
        assert_eq!(decision(&r, "mdmclient"), ("would_restart", "dry_run"));
        assert_eq!(
            decision(&r, "softwareupdated"),
            ("would_restart", "dry_run"),
            "{extra:?}: {}",
            r["heal"]
        );
    }
}

/// A verified failure after an earlier (200) is not hidden by the strict rule either: a (200) at
/// 08:50, then three 503s (`channel-server-503` with the (200) added). Strict or not, the client
/// check says the server is failing, `MDMClientStuck` is true, the channel says `server_errors`
/// and heal stands down (before, strict read alive and the key false).
#[test]
fn strict_addigy_keeps_a_verified_server_failure_after_a_200() {
    let (tmp, dst) = copy_capture("channel-server-503");
    let log = std::fs::read_to_string(dst.join("log_mdmclient.stdout")).unwrap();
    let first_503 = log.lines().nth(1).unwrap();
    let ok200 = first_503
        .replace("09:05:10.480000", "08:50:10.480000")
        .replace("(503)", "(200)");
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(1, &ok200);
    std::fs::write(dst.join("log_mdmclient.stdout"), lines.join("\n") + "\n").unwrap();
    let cfg = strict_config(tmp.path());
    for extra in [vec![], vec!["--config", cfg.to_str().unwrap()]] {
        let mut args = vec!["-heal", "--json", "--replay", dst.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let r: serde_json::Value = serde_json::from_slice(&mdmwatch(&args).stdout).unwrap();
        let c = &r["checks"]["mdm.client_liveness"]["facts"];
        assert_eq!(
            (&c["state"], &c["cause"]),
            (&"failing".into(), &"server_error".into()),
            "{extra:?}"
        );
        assert_eq!(r["watchdog"]["MDMClientStuck"], true, "{extra:?}");
        assert_eq!(
            r["checks"]["mdm.channel"]["facts"]["cause"],
            "server_errors"
        );
        assert_eq!(
            decision(&r, "mdmclient"),
            ("none", "server_error"),
            "{extra:?}"
        );
    }
}

/// Under StrictAddigyLiveness too, nothing that is unverified, forged or server-side grounds a
/// restart of mdmclient: the strict rule adds "no (200)" only to a window the ordinary rules
/// see no failure in (before, a window whose only signs were unverified transport errors was a
/// strict restart, as if it were quiet).
#[test]
fn strict_addigy_never_restarts_on_unverified_forged_or_server_side_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    for (capture, reason) in [
        ("mdmclient-network-unverified", "unverified_evidence"),
        ("mdmclient-http-403", "auth_rejected"),
        ("channel-server-503", "server_error"),
        ("attack-foreign-binary-receipt", "not_stuck"),
        ("real-forged-entries", "not_stuck"),
    ] {
        let r = heal_json_with(capture, &["--config", cfg.to_str().unwrap()]);
        assert_eq!(decision(&r, "mdmclient"), ("none", reason), "{capture}");
        assert_ne!(
            decision(&r, "softwareupdated").0,
            "would_restart",
            "{capture}"
        );
    }
}

/// A cut mdmclient log is judged the same with and without the strict rule: the channel reads
/// the ordinary rules with their guard (a cut output lacks the newest entries: never judged on
/// half the evidence), not the raw reading.
#[test]
fn a_cut_log_gives_the_same_channel_verdict_under_the_strict_rule() {
    let (tmp, dst) = copy_capture("channel-server-503");
    // One (200) before the three 503s (the same real line layout, an earlier time): Addigy's rule
    // calls the window alive, the ordinary rules a failing server, and on a cut output unknown.
    let log = std::fs::read_to_string(dst.join("log_mdmclient.stdout")).unwrap();
    let first_503 = log.lines().nth(1).unwrap();
    let ok200 = first_503
        .replace("09:05:10.480000", "08:50:10.480000")
        .replace("(503)", "(200)");
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(1, &ok200);
    std::fs::write(dst.join("log_mdmclient.stdout"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dst.join("log_mdmclient.truncated"), b"").unwrap();
    let cfg = strict_config(tmp.path());
    let channel = |extra: &[&str]| {
        let (_, r) = diagnose_json(&dst, extra);
        let f = r["checks"]["mdm.channel"]["facts"].clone();
        (f["verdict"].clone(), f["cause"].clone())
    };
    // Without the setting: the client is unknown (cut), the channel rests on the (200) seen.
    let plain = channel(&[]);
    assert_eq!(plain.0, "connected", "{plain:?}");
    // With it: the same (the raw reading, without the guard, said degraded/server_errors).
    assert_eq!(channel(&["--config", cfg.to_str().unwrap()]), plain);
}

/// A heal setting never changes the channel verdict: under StrictAddigyLiveness a window of only
/// 503s is still `degraded` / `server_errors` (it read `unknown` before: the channel took the
/// client check's strict state).
#[test]
fn strict_addigy_keeps_the_channels_server_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = strict_config(dir.path());
    let (_, r) = diagnose_json(
        &captures_dir().join("channel-server-503"),
        &["--config", cfg.to_str().unwrap()],
    );
    let f = &r["checks"]["mdm.channel"]["facts"];
    assert_eq!(
        (&f["verdict"], &f["cause"]),
        (&"degraded".into(), &"server_errors".into()),
        "{}",
        r["checks"]["mdm.channel"]["summary"]
    );
}

/// mdmclient's only sign of trouble rests on an unverified pattern (`mdm.transport_error`:
/// NSURLErrorDomain after each check-in), logged by mdmclient's exact image path with uid 0, so
/// the entries are accepted (none rejected) and read as failing, but unverified: a warning,
/// MDMClientStuck false, and heal says `unverified_evidence`, never would_restart.
#[test]
fn unverified_evidence_alone_never_restarts_mdmclient() {
    let r = heal_json("mdmclient-network-unverified");
    let c = &r["checks"]["mdm.client_liveness"];
    assert_eq!(c["facts"]["rejected_entries"], 0);
    assert_eq!(c["facts"]["failures"], 4);
    assert_eq!(c["facts"]["verified"], false);
    assert_eq!(c["status"], "warning");
    assert!(c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["source"] == "log_mdmclient"
            && e["text"].as_str().unwrap().contains("NSURLErrorDomain")));
    assert_eq!(r["watchdog"]["MDMClientStuck"], false);
    let m = &r["heal"]["services"][0];
    assert_eq!(m["service"], "mdmclient");
    assert_eq!(
        (&m["action"], &m["reason"], &m["cause"]),
        (
            &"none".into(),
            &"unverified_evidence".into(),
            &"unverified_evidence".into()
        ),
        "{m}"
    );
    assert!(
        m["message"]
            .as_str()
            .unwrap()
            .starts_with("unverified evidence"),
        "{m}"
    );
}

/// One exchange answered 403 and nothing else wrong: the refusal is named (client
/// `auth_rejected`, channel `identity_refused`, re-enrolment advised), and heal never restarts
/// mdmclient for it.
#[test]
fn an_http_403_alone_names_the_refusal_and_never_restarts() {
    let r = heal_json("mdmclient-http-403");
    let c = &r["checks"]["mdm.client_liveness"]["facts"];
    assert_eq!(
        (&c["cause"], &c["last_failure_status"]),
        (&"auth_rejected".into(), &403.into())
    );
    assert_eq!(c["verified"], true);
    let ch = &r["checks"]["mdm.channel"];
    assert_eq!(ch["facts"]["cause"], "identity_refused");
    assert!(ch["remediation"].as_str().unwrap().contains("re-enroll"));
    let m = &r["heal"]["services"][0];
    assert_eq!(m["service"], "mdmclient");
    assert_eq!(
        (&m["action"], &m["reason"], &m["cause"]),
        (
            &"none".into(),
            &"auth_rejected".into(),
            &"auth_rejected".into()
        ),
        "{m}"
    );
    assert!(m["message"].as_str().unwrap().contains("re-enroll"), "{m}");
}

/// SoftwareUpdateSubscriber's `Reporting status` block (install-state `installing` for the
/// overdue 27.1) from its exact image path: as `_rmd` (uid 277, a uid it runs as) it is evidence,
/// so the declaration is installing, not stuck, and heal withholds; the same entry as a local user
/// (uid 501) is rejected and the Mac is stuck (stalled), heal would restart softwareupdated.
#[test]
fn a_subscriber_status_counts_as_rmd_and_not_as_a_local_user() {
    let rmd = heal_json("ddm27-installing-rmd");
    let d = &rmd["checks"]["softwareupdate.daemon_liveness"]["facts"];
    assert_eq!(
        (&d["rejected_entries"], &d["status_reports"]),
        (&0.into(), &1.into())
    );
    assert_eq!(d["last_install_state"], "installing");
    let ddm = &rmd["checks"]["softwareupdate.ddm"]["facts"];
    assert_eq!(
        (&ddm["situation"], &ddm["install_state"]),
        (&"overdue_installing".into(), &"installing".into())
    );
    assert_eq!(rmd["watchdog"]["MDMSoftwareUpdatesStuck"], false);
    assert_eq!(decision(&rmd, "softwareupdated"), ("none", "installing"));
    let user = heal_json("ddm27-installing-uid501");
    let d = &user["checks"]["softwareupdate.daemon_liveness"]["facts"];
    assert_eq!(
        (&d["rejected_entries"], &d["status_reports"]),
        (&1.into(), &0.into())
    );
    assert_eq!(d["last_install_state"], serde_json::Value::Null);
    let ddm = &user["checks"]["softwareupdate.ddm"]["facts"];
    assert_eq!(
        (&ddm["situation"], &ddm["stuck_cause"]),
        (&"stuck".into(), &"stalled".into())
    );
    assert_eq!(ddm["install_state"], serde_json::Value::Null);
    assert_eq!(user["watchdog"]["MDMSoftwareUpdatesStuck"], true);
    assert_eq!(
        decision(&user, "softwareupdated"),
        ("would_restart", "dry_run")
    );
}

/// `-heal` under replay decides but executes nothing.
fn heal_json(capture: &str) -> serde_json::Value {
    heal_json_with(capture, &[])
}

/// [`heal_json`] with extra arguments (`--config FILE`).
fn heal_json_with(capture: &str, extra: &[&str]) -> serde_json::Value {
    let dir = captures_dir().join(capture);
    let mut args = vec!["-heal", "--json", "--replay", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = mdmwatch(&args);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{capture}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_valid(&r);
    assert_eq!(r["heal"]["executed"], false, "{capture}");
    r
}

fn decision<'a>(r: &'a serde_json::Value, service: &str) -> (&'a str, &'a str) {
    let s = r["heal"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service)
        .unwrap();
    (s["action"].as_str().unwrap(), s["reason"].as_str().unwrap())
}

#[test]
fn heal_decisions_follow_the_evidence() {
    // The server fails (5xx dominate, one 401 among them): a restart cannot help, and the
    // message says what can, without re-enrolment advice.
    let r = heal_json("mdmclient-stuck");
    assert_eq!(decision(&r, "mdmclient"), ("none", "server_error"));
    let m = &r["heal"]["services"][0];
    assert_eq!(m["cause"], "server_error");
    let msg = m["message"].as_str().unwrap();
    assert!(
        msg.contains("MDM service") && !msg.contains("re-enroll"),
        "{m}"
    );
    assert_eq!(decision(&r, "softwareupdated").0, "none");
    // A dry run names the ground that would allow the restart: its code in `cause`, its words
    // in the message.
    let r = heal_json("mdmclient-stuck-unanswered");
    let m = &r["heal"]["services"][0];
    assert_eq!(m["action"], "would_restart");
    assert_eq!(m["cause"], "client_wedged");
    assert!(
        m["message"]
            .as_str()
            .unwrap()
            .contains("received a command and never answered it"),
        "{m}"
    );
    let r = heal_json("softwareupdate-stuck");
    assert_eq!(decision(&r, "mdmclient").0, "would_restart");
    assert_eq!(decision(&r, "softwareupdated").0, "would_restart");
    // Never during an install, even with mdmclient stuck.
    let r = heal_json("softwareupdate-installing");
    assert_eq!(decision(&r, "mdmclient"), ("none", "install_in_progress"));
    assert_eq!(decision(&r, "softwareupdated").0, "none");
    // Quiet is not stuck; unknown evidence never restarts.
    let r = heal_json("mdmclient-quiet");
    assert_eq!(decision(&r, "mdmclient"), ("none", "quiet"));
    let r = heal_json("probe-failures");
    assert_eq!(decision(&r, "mdmclient"), ("none", "unknown"));
    assert_eq!(decision(&r, "softwareupdated"), ("none", "unknown"));
}

#[test]
fn human_report_starts_with_the_addigy_keys_then_readiness() {
    let out = mdmwatch(&[
        "-diagnose",
        "--replay",
        captures_dir().join("mdmclient-stuck").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    // Answer first: the verdict line, the problems, then the keys.
    assert!(text.starts_with("mdmwatch: "), "{text}");
    let keys_at = text
        .lines()
        .position(|l| l.starts_with("MDMEnrolled:"))
        .unwrap();
    let lines: Vec<&str> = text.lines().skip(keys_at).collect();
    assert_eq!(
        lines[..8],
        [
            "MDMEnrolled: true",
            "MDMIdentityError: false",
            "MDMClientStuck: true",
            "MDMSoftwareUpdatesStuck: false",
            "MDMClientRestarted: false",
            "SoftwareUpdateDaemonRestarted: false",
            "LastMDMKickstart: 0001-01-01 00:00:00 +0000 UTC",
            "LastSoftwareUpdateDaemonKickstart: 0001-01-01 00:00:00 +0000 UTC",
        ]
    );
    // Readiness next: one line (its blocker is a problem printed above, so only named there).
    let first_after = lines[8..].iter().find(|l| !l.is_empty()).unwrap();
    assert_eq!(
        *first_after, "Readiness: every kind blocked (mdm.client_liveness, above)",
        "{text}"
    );
    assert!(text.contains("[failed] mdm.client_liveness: failing (server errors)"));
    // The channel verdict is the first finding: verdict and cause in one sentence.
    assert!(
        text.contains("\n[warning] mdm.channel: degraded: the MDM server answers with errors"),
        "{text}"
    );
    assert!(!text.contains("re-enroll"), "{text}");
    // --verbose adds evidence and remediation.
    let out = mdmwatch(&[
        "diagnose",
        "--verbose",
        "--replay",
        captures_dir().join("mdmclient-stuck").to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Received HTTP response"), "{text}");
    assert!(text.contains("fix: "), "{text}");
}

#[test]
fn help_documents_the_addigy_keys_and_exit_codes() {
    let out = mdmwatch(&["-help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for key in [
        "MDMEnrolled",
        "MDMClientStuck",
        "LastSoftwareUpdateDaemonKickstart",
        "Exit status",
    ] {
        assert!(text.contains(key), "{key}");
    }
    let out = mdmwatch(&["-version"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("mdmwatch {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The DDM captures: the situation and the one named cause of `softwareupdate.ddm`, what the
/// finding says, and (27) that no finding is unknown because a removed command is missing.
#[test]
fn ddm_era_captures_name_the_situation_and_the_cause() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("ddm27-overdue-stuck", "stuck", Some("stalled")),
        ("ddm27-overdue-staged", "overdue_staged", None),
        ("ddm27-overdue-staged-update-volume", "overdue_staged", None),
        ("ddm27-overdue-prepare-snapshot", "stuck", Some("stalled")),
        (
            "ddm27-failure-reason",
            "stuck",
            Some("download_or_prepare_failing"),
        ),
        (
            "ddm27-declaration-missing",
            "declaration_missing",
            Some("declaration_missing_or_invalid"),
        ),
        (
            "ddm27-declaration-install-log-only",
            "no_declarations",
            None,
        ),
        (
            "ddm27-declaration-stale",
            "stuck",
            Some("declaration_missing_or_invalid"),
        ),
        ("ddm27-stalled-status-downloading", "stuck", Some("stalled")),
        (
            "ddm27-prerequisites-battery",
            "stuck",
            Some("prerequisites_blocking"),
        ),
        ("ddm27-not-offered", "stuck", Some("not_offered_yet")),
        ("ddm27-installing-rmd", "overdue_installing", None),
        ("ddm27-installing-uid501", "stuck", Some("stalled")),
        ("macos27-legacy-removed", "due", None),
        ("ddm26-enforcement-pending", "due_enforcement_pending", None),
        ("bsi-26.3.1a", "satisfied", None),
    ];
    for (capture, situation, cause) in cases {
        let (_, r) = diagnose_json(&captures_dir().join(capture), &[]);
        let d = &r["checks"]["softwareupdate.ddm"];
        assert_eq!(
            d["facts"]["situation"], *situation,
            "{capture}: {}",
            d["summary"]
        );
        assert_eq!(d["facts"]["stuck_cause"].as_str(), *cause, "{capture}");
        if let Some(c) = cause {
            assert!(d["summary"].as_str().unwrap().contains(c), "{capture}");
            assert!(d["remediation"].is_string(), "{capture}");
        }
        for (id, f) in r["checks"].as_object().unwrap() {
            assert_ne!(f["status"], "unknown", "{capture}: {id}: {}", f["summary"]);
        }
    }
    // The failure reason is quoted; the staged update is reported in readiness.
    let (_, r) = diagnose_json(&captures_dir().join("ddm27-failure-reason"), &[]);
    assert!(r["checks"]["softwareupdate.ddm"]["summary"]
        .as_str()
        .unwrap()
        .contains("SUErrorDomain 3"));
    let (_, r) = diagnose_json(&captures_dir().join("ddm27-overdue-staged"), &[]);
    let staged = &r["checks"]["readiness"]["facts"]["staged"];
    assert_eq!(staged["version"], "27.1");
    assert_eq!(staged["since"], "2026-11-20T07:00:00-05:00");
    // 27: the removed query is not applicable, not unknown.
    let (_, r) = diagnose_json(&captures_dir().join("macos27-legacy-removed"), &[]);
    let s = &r["checks"]["softwareupdate.settings"]["facts"];
    // The seeding enrollment answers the catalog on 27 (the query is removed).
    assert_eq!(s["catalog_source"], "seeding_enrollment");
    assert_eq!(s["beta_catalog"], false);
    assert_eq!(s["legacy_surface"], "removed_in_27");
    // Addigy's command rule cannot fire without the commands: said, not left false silently.
    let d = &r["checks"]["softwareupdate.daemon_liveness"]["facts"];
    assert_eq!(
        d["addigy_command_rule"],
        "not_applicable_removed_in_macos_27"
    );
    let (_, r) = diagnose_json(&captures_dir().join("ddm26-enforcement-pending"), &[]);
    let d = &r["checks"]["softwareupdate.daemon_liveness"]["facts"];
    assert_eq!(d["addigy_command_rule"], "applies");
    assert_eq!(s["update_deferral_days"], serde_json::Value::Null);
}

/// A BSI-patched 26.3.1 (a) against SOFA v2: the installed BSI's CVE is not missing.
#[test]
fn an_installed_background_security_improvement_counts_with_the_catalog() {
    let feed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples/sofa_macos_data_feed__v2__2026-08-22.json");
    let (_, r) = diagnose_json(
        &captures_dir().join("bsi-26.3.1a"),
        &["--catalog", feed.to_str().unwrap()],
    );
    assert_eq!(
        r["checks"]["os.version"]["facts"]["security_patch"],
        "background_security_improvement"
    );
    let c = &r["checks"]["softwareupdate.compliance"]["facts"];
    let missing: Vec<&str> = c["missing_cves"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(!missing.contains(&"CVE-2026-20643"), "{missing:?}");
    let newer = &r["checks"]["softwareupdate.catalog"]["facts"]["newer"];
    assert!(
        !newer
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["build"] == "25D771280a"),
        "the installed BSI is not newer: {newer}"
    );
}

/// `mdm.channel` on the channel captures, each with the history of earlier runs beside it
/// (`history.json`, copied to a temporary state file and named with `--state`): the verdict and
/// cause lead the report; replaying again with the history the first replay recorded gives the
/// same verdict; heal stands down where a restart cannot help.
/// (capture, verdict, cause or "", MDMClientStuck, MDMSoftwareUpdatesStuck, heal mdmclient,
/// heal softwareupdated)
#[allow(clippy::type_complexity)]
const CHANNEL_CASES: &[(&str, &str, &str, bool, bool, (&str, &str), (&str, &str))] = &[
    (
        "channel-idle-healthy",
        "connected",
        "",
        false,
        false,
        NONE_QUIET,
        NONE_ALIVE,
    ),
    (
        "channel-cut-off",
        "disconnected",
        "no_exchange",
        false,
        false,
        NONE_QUIET,
        NONE_ALIVE,
    ),
    (
        "channel-migration-leftover",
        "disconnected",
        "identity_unusable",
        false,
        false,
        NONE_QUIET,
        NONE_ALIVE,
    ),
    (
        "channel-topic-mismatch",
        "disconnected",
        "push_topic_not_registered",
        false,
        false,
        NONE_QUIET,
        NONE_ALIVE,
    ),
    (
        "channel-server-503",
        "degraded",
        "server_errors",
        true,
        false,
        ("none", "server_error"),
        NONE_ALIVE,
    ),
    (
        "channel-receipt-unanswered",
        "degraded",
        "client_wedged",
        true,
        true,
        ("would_restart", "dry_run"),
        ("would_restart", "dry_run"),
    ),
    (
        "channel-two-receipts",
        "connected",
        "",
        false,
        false,
        NONE_ALIVE,
        NONE_ALIVE,
    ),
    (
        "channel-foreign-predicate",
        "connected",
        "",
        false,
        false,
        NONE_ALIVE,
        NONE_QUIET,
    ),
];

#[test]
fn channel_verdict_leads_and_is_stable_across_replays_with_history() {
    for &(capture, verdict, cause, client_stuck, su_stuck, heal_m, heal_s) in CHANNEL_CASES {
        let dir = captures_dir().join(capture);
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("state.json");
        std::fs::copy(dir.join("history.json"), &state).unwrap();
        let state_arg = state.to_str().unwrap();
        let (_, r) = diagnose_json(&dir, &["--state", state_arg]);
        let f = &r["checks"]["mdm.channel"];
        // The human report lists findings in report order: the channel verdict first.
        let text_state = tmp.path().join("text-state.json");
        std::fs::copy(dir.join("history.json"), &text_state).unwrap();
        let text = String::from_utf8(
            mdmwatch(&[
                "-diagnose",
                "--replay",
                dir.to_str().unwrap(),
                "--state",
                text_state.to_str().unwrap(),
            ])
            .stdout,
        )
        .unwrap();
        // The report's first line is the channel verdict; a channel problem is the first finding.
        assert!(
            text.starts_with(&format!("mdmwatch: MDM channel: {verdict}: ")),
            "{capture}: the verdict leads: {text}"
        );
        let first_finding = text.lines().find(|l| l.starts_with('[')).unwrap_or("");
        assert!(
            verdict == "connected" || first_finding.contains("] mdm.channel: "),
            "{capture}: the channel finding leads: {text}"
        );
        assert_eq!(
            f["facts"]["verdict"], verdict,
            "{capture}: {}",
            f["summary"]
        );
        assert_eq!(
            f["facts"]["cause"].as_str().unwrap_or(""),
            cause,
            "{capture}: {}",
            f["summary"]
        );
        assert!(
            f["summary"].as_str().unwrap().starts_with(verdict),
            "{capture}: one sentence, verdict first: {}",
            f["summary"]
        );
        assert_eq!(r["watchdog"]["MDMClientStuck"], client_stuck, "{capture}");
        assert_eq!(
            r["watchdog"]["MDMSoftwareUpdatesStuck"], su_stuck,
            "{capture}"
        );
        // The first replay recorded the history; heal's keys are untouched.
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        assert_eq!(
            written["channel_history"]["last_run_end"], "2026-11-20T10:00:00-05:00",
            "{capture}"
        );
        assert_eq!(written["last_mdm_kickstart"], "0001-01-01T00:00:00Z");
        // The same capture again, with the history of the first replay: the same verdict.
        let (_, again) = diagnose_json(&dir, &["--state", state_arg]);
        let g = &again["checks"]["mdm.channel"];
        assert_eq!(
            (&g["facts"]["verdict"], &g["facts"]["cause"]),
            (&f["facts"]["verdict"], &f["facts"]["cause"]),
            "{capture}: second replay"
        );
        let h = heal_json(capture);
        assert_eq!(
            decision(&h, "mdmclient"),
            heal_m,
            "{capture}: heal mdmclient"
        );
        assert_eq!(
            decision(&h, "softwareupdated"),
            heal_s,
            "{capture}: heal softwareupdated"
        );
    }
}

#[test]
fn replay_without_state_never_reads_or_writes_history() {
    // No --state: the capture's history.json is another Mac's; nothing reads it, and a channel
    // that is quiet in the window is unknown, not connected.
    let dir = captures_dir().join("channel-idle-healthy");
    let before = std::fs::read(dir.join("history.json")).unwrap();
    let (_, r) = diagnose_json(&dir, &[]);
    assert_eq!(r["checks"]["mdm.channel"]["facts"]["verdict"], "unknown");
    assert_eq!(r["checks"]["mdm.channel"]["status"], "unknown");
    assert_eq!(std::fs::read(dir.join("history.json")).unwrap(), before);
}

#[test]
fn history_survives_a_corrupt_state_file_like_heals_state() {
    // A corrupt state file younger than a day is left for heal to set aside (it may hold a
    // restart heal must still count): the run reports it and records nothing. The corruption is
    // a write cut short, recognisably mdmwatch's state (anything else is refused as root).
    let dir = captures_dir().join("channel-idle-healthy");
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let cut: &[u8] = br#"{"version":1,"last_mdm_kick"#;
    std::fs::write(&state, cut).unwrap();
    let (_, r) = diagnose_json(&dir, &["--state", state.to_str().unwrap()]);
    assert!(
        r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("channel history")),
        "{}",
        r["errors"]
    );
    assert_eq!(std::fs::read(&state).unwrap(), cut);
    // A history key that is not a history: heal's records stay, the history starts over.
    std::fs::write(
        &state,
        br#"{"version":1,"last_mdm_kickstart":"2026-11-19T08:30:00Z","channel_history":7}"#,
    )
    .unwrap();
    let (_, r) = diagnose_json(&dir, &["--state", state.to_str().unwrap()]);
    assert!(r["checks"]["mdm.channel"]["evidence"]
        .to_string()
        .contains("channel history unreadable"));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    // Heal's key rewritten as MDM Watchdog writes it (microseconds, offset kept).
    assert_eq!(
        written["last_mdm_kickstart"],
        "2026-11-19T08:30:00.000000+00:00"
    );
    assert_eq!(
        written["channel_history"]["since"], "2026-11-20T10:00:00-05:00",
        "{written}"
    );
}

#[test]
fn first_run_looks_back_once_with_a_narrow_predicate() {
    // No history yet (the state file does not exist): the look-back runs once, fills the history,
    // and the verdict rests on it; the next run has history and does not look back again.
    let dir = captures_dir().join("channel-first-run");
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    let (_, r) = diagnose_json(&dir, &["--state", state.to_str().unwrap()]);
    let f = &r["checks"]["mdm.channel"]["facts"];
    assert_eq!(f["verdict"], "connected", "{f}");
    assert_eq!(f["days_since_last_exchange"], 2);
    assert_eq!(
        f["last_exchange_source"],
        "first-run look-back over 7 days of log"
    );
    let lookback = r["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "log_mdmclient_lookback")
        .expect("the look-back ran");
    let cmd = lookback["command"].as_str().unwrap();
    assert!(cmd.contains("--last 7d"), "{cmd}");
    assert!(cmd.contains("Received HTTP response (200)"), "{cmd}");
    assert!(!cmd.contains("Sending HTTP request"), "narrow: {cmd}");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        written["channel_history"]["last_exchange"],
        "2026-11-18T09:12:00-05:00"
    );
    // Second run: history found, no look-back.
    let (_, r) = diagnose_json(&dir, &["--state", state.to_str().unwrap()]);
    assert!(!r["probes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "log_mdmclient_lookback"));
    assert_eq!(r["checks"]["mdm.channel"]["facts"]["verdict"], "connected");
}

#[test]
fn channel_verdict_on_the_older_captures_without_history() {
    // Replayed without --state (no history): what one window and the other checks establish.
    let cases: &[(&str, &str, &str)] = &[
        ("healthy", "connected", ""),
        ("not-enrolled", "disconnected", "not_enrolled"),
        ("identity-expired", "disconnected", "identity_unusable"),
        (
            "identity-no-private-key",
            "disconnected",
            "identity_unusable",
        ),
        // `Unable to create MDM identity` from the system's mdmclient.
        (
            "mdmclient-identity-error",
            "disconnected",
            "identity_unusable",
        ),
        ("mdmclient-stuck", "degraded", "server_errors"),
        // Unverified network errors only: degraded (a warning), never a cause heal reads.
        ("mdmclient-network-unverified", "degraded", "network"),
        // One 403 alone: the server refuses the identity.
        ("mdmclient-http-403", "disconnected", "identity_refused"),
        ("mdmclient-stuck-unanswered", "degraded", "client_wedged"),
        // Quiet in the window and no history yet: not known, never "connected".
        ("mdmclient-quiet", "unknown", "unknown"),
        ("probe-failures", "unknown", "unknown"),
        (
            "real-apsd-disconnected",
            "disconnected",
            "push_not_connected",
        ),
    ];
    for (capture, verdict, cause) in cases {
        let (_, r) = diagnose_json(&captures_dir().join(capture), &[]);
        let f = &r["checks"]["mdm.channel"];
        assert_eq!(
            f["facts"]["verdict"], *verdict,
            "{capture}: {}",
            f["summary"]
        );
        assert_eq!(
            f["facts"]["cause"].as_str().unwrap_or(""),
            *cause,
            "{capture}: {}",
            f["summary"]
        );
    }
}

/// Addigy's software-update rule restarts softwareupdated because mdmclient never answered a
/// ScheduleOSUpdate; when the channel itself is dead for a reason a restart cannot fix (here the
/// identity lost its private key, as after Migration Assistant), neither service is restarted.
/// The capture is `channel-receipt-unanswered` (which restarts both) with the identity listing of
/// `identity-no-private-key`.
#[test]
fn a_dead_channel_stands_heal_down_for_addigys_software_update_rule_too() {
    let r = heal_json("channel-receipt-unanswered");
    assert_eq!(decision(&r, "softwareupdated").0, "would_restart");
    let tmp = tempfile::tempdir().unwrap();
    let cap = tmp.path().join("cap");
    std::fs::create_dir(&cap).unwrap();
    let src = captures_dir().join("channel-receipt-unanswered");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, cap.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        captures_dir().join("identity-no-private-key/identity_keys.stdout"),
        cap.join("identity_keys.stdout"),
    )
    .unwrap();
    let out = mdmwatch(&["-heal", "--json", "--replay", cap.to_str().unwrap()]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&r);
    assert_eq!(
        r["checks"]["mdm.channel"]["facts"]["cause"],
        "identity_unusable"
    );
    assert_eq!(decision(&r, "mdmclient").0, "none");
    assert_eq!(decision(&r, "softwareupdated").0, "none", "{}", r["heal"]);
}
