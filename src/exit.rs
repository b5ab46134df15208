//! Exit statuses, as the contract defines them.

/// No finding at level `deny` remains after exemptions.
pub const SUCCESS: u8 = 0;
/// At least one finding at level `deny` remains.
pub const POLICY_VIOLATED: u8 = 1;
/// The run could not be done: bad arguments, invalid input, unreadable data, network failure.
pub const FAILED: u8 = 2;
