//! Staffing: how many agents a queue needs, from how many calls will come.
//!
//! - [`erlang`]: Erlang C (M/M/n) and Erlang A (M/M/n+M) for one case, and the fewest agents
//!   that reach a service level.
//!
//! Pure computation: the callers read the history and print the results.

pub mod erlang;

pub use erlang::{erlang_a, erlang_c, required_agents, Case, ErlangA, ErlangC, Figures, Model};
