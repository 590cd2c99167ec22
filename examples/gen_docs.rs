//! Writes the man page (`mdmwatch.1`) and shell completions (bash, zsh, fish) generated from the
//! CLI definition into DIR: `cargo run --example gen_docs -- pkg/docs`. The files in pkg/docs are
//! package inputs (scripts/build-pkg.sh installs them under /usr/local/mdmwatch/share), and
//! tests/it/recipes.rs fails when they differ from what this generates, so they never disagree
//! with `--help`.

// A build tool writing package inputs, not the agent: outside the probe boundary clippy guards.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

#[allow(dead_code)] // tests/it/recipes.rs includes this file for `render` alone
fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen_docs DIR");
        std::process::exit(2);
    };
    if let Err(e) = write_all(&dir) {
        eprintln!("gen_docs: {e}");
        std::process::exit(1);
    }
}

fn write_all(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in render()? {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// Every generated file: its name and its bytes (deterministic: no date, no build metadata).
pub fn render() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    // The plain version: the long one names the commit, which would make every commit's pages
    // differ from the shipped ones.
    let cmd = mdmwatch::cli::command_for_help().long_version(None::<&'static str>);
    let mut man = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut man)?;
    files.push(("mdmwatch.1".to_string(), man));
    // One page per command too (`mdmwatch-heal.1`), with only the flags it accepts.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        // clap wants a 'static name (without its `string` feature); this process is short.
        let name: &'static str = Box::leak(format!("mdmwatch-{}", sub.get_name()).into_boxed_str());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name)).render(&mut page)?;
        files.push((format!("{name}.1"), page));
    }
    use clap_complete::Shell;
    for (shell, file) in [
        (Shell::Bash, "mdmwatch.bash"),
        (Shell::Zsh, "_mdmwatch"),
        (Shell::Fish, "mdmwatch.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "mdmwatch", &mut out);
        files.push((file.to_string(), out));
    }
    Ok(files)
}
