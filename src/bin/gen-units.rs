//! `gen-units`: see [`ecosystemd::cli::gen_units`].

use ecosystemd::cli::gen_units::{parse_invocation, run};

fn main() {
    std::process::exit(run(parse_invocation()));
}
