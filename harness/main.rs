//! The `spicebench` command line: parse ([`cli`]), run the command ([`commands`]) on an async
//! runtime, print an error as one line, exit with the command's status (2 on an error).

mod bar_progress;
mod cli;
mod commands;
mod output_mode;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // The lab runs `spicebench probe` from this program, whatever its file is called.
    spicebench::lab::probe::mark_cli();
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            spicebench::errln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(commands::dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            spicebench::errln!("error: {}", error_text(&e));
            2
        }
    };
    // Give work still unwinding after a signal (a start-up that saw the cancel flag) time to
    // drop what it started; nothing waits forever, since every lab wait checks the flag.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    ExitCode::from(code)
}

/// The error and its causes on one line, each cause once: many errors already quote their
/// cause in their own message, and printing it again as a separate link helps nobody.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}
