//! STUB: owned by the readiness work (issue 4).
