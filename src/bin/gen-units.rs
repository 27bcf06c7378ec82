use clap::Parser;
use ecosystemd::cli::gen_units::{GenUnitsCli, GenUnitsCommand};

fn main() {
    let cli = GenUnitsCli::parse();
    let status = match cli.command {
        Some(GenUnitsCommand::Import(args)) => ecosystemd::import::run(&args),
        None => ecosystemd::diagnostic::EXIT_OK,
    };
    std::process::exit(status);
}
