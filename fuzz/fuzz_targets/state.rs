//! Fuzz target: the state file. Never panics, and whatever it accepts it writes back in a form
//! it reads again unchanged (heal must never write a state file it cannot read).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mdmwatch::state::{Service, State};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = State::from_bytes(data) else {
        return;
    };
    for svc in Service::ALL {
        let _ = s.last_attempt(svc);
    }
    let written = s.to_bytes().expect("a state it accepted serialises");
    let back = State::from_bytes(&written).unwrap_or_else(|e| {
        panic!(
            "a state it accepted was written unreadable: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    for svc in Service::ALL {
        assert_eq!(
            back.last_attempt(svc).map(|t| t.timestamp()),
            s.last_attempt(svc).map(|t| t.timestamp()),
            "last attempt of {svc:?} changed on a round trip"
        );
    }
    assert_eq!(back.to_bytes().ok(), Some(written), "round trip not stable");
});
