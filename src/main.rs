//! The `jianyi` binary.

use std::process::ExitCode;

fn main() -> ExitCode {
    jianyi::logging::init();
    jianyi::cli::main()
}
