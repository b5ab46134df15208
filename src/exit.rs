//! Exit statuses, as the contract defines them, and the outcome of a command that ran.

/// No finding at level `deny` remains after exemptions.
pub const SUCCESS: u8 = 0;
/// At least one finding at level `deny` remains.
pub const POLICY_VIOLATED: u8 = 1;
/// The run could not be done: bad arguments, invalid input, unreadable data, network failure.
pub const FAILED: u8 = 2;

/// The outcome of a command that ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at level deny remains.
    Passed,
    /// A finding at level deny remains.
    Violated,
}

impl Outcome {
    /// The exit status of this outcome.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => SUCCESS,
            Outcome::Violated => POLICY_VIOLATED,
        }
    }
}
