//! `gen-units`: see [`ecosystemd::cli::gen_units`].

use clap::Parser;
use ecosystemd::cli::gen_units::{GenUnitsCli, run};

fn main() {
    std::process::exit(run(GenUnitsCli::parse()));
}
