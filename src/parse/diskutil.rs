//! STUB: owned by the readiness work (issue 4).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskInfo {}
