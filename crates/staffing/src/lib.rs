//! Staffing: how many agents a queue needs, from how many calls will come.
//!
//! - [`erlang`]: Erlang C (M/M/n) and Erlang A (M/M/n+M) for one case, and the fewest agents
//!   that reach a service level.
//! - [`forecast`]: volume and handle time per interval from the history (level, trend,
//!   weekday factors, intraday shape, a calendar of special days) and its backtest error.
//! - [`plan`]: a day's plan: per interval the agents required, what they would give, and the
//!   heads to schedule after shrinkage.
//!
//! Pure computation: the callers read the history and print the results.

pub mod erlang;
pub mod forecast;
pub mod plan;

pub use erlang::{erlang_a, erlang_c, required_agents, Case, ErlangA, ErlangC, Figures, Model};
