//! Thin binary: all logic lives in the library (`mdmwatch::app`).

fn main() {
    let code = mdmwatch::app::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
