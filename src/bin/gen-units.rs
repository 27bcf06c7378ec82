use clap::Parser as _;
use ecosystemd::cli::gen_units::{GenUnitsCli, GenUnitsCommand};

fn main() {
    let cli = GenUnitsCli::parse();
    let code = match &cli.command {
        Some(GenUnitsCommand::Install(args)) => ecosystemd::install::command::install(args),
        Some(GenUnitsCommand::Uninstall(args)) => ecosystemd::install::command::uninstall(args),
        None => 0,
    };
    std::process::exit(code);
}
