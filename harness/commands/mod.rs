//! One module per command: each turns its parsed options into a call into the library, prints
//! what the user sees and returns the exit status. They live in the binary, not the library,
//! because they are the command line's glue (messages, flags named in errors, exit codes,
//! `anyhow`); what they call is the library's typed API.

mod analyze;
mod audit;
mod check;
mod guest;
mod record;
mod report;
mod run;

use crate::cli::Command;

/// Runs `command`; returns the exit status.
pub async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Run {
            scenario,
            out,
            compression,
            transports,
            viewers,
            output,
            quiet,
            no_capture,
            strict,
            verbose,
        } => {
            let options = spicebench::run::RunOptions {
                capture: !no_capture,
                output_mode: output.apply(),
            };
            let axes = run::Axes {
                compression,
                transports,
                viewers,
            };
            let show = run::Show {
                quiet,
                verbose,
                strict,
            };
            run::run(scenario, out, axes, show, &options).await
        }
        Command::Report {
            results,
            out,
            baseline,
            title,
            output,
        } => {
            output.apply();
            report::report(&results, out, baseline, &title)
        }
        Command::Record {
            run_config,
            name,
            recordings,
        } => record::record(&run_config, &name, &recordings),
        Command::Check {
            recordings,
            tolerance_file,
            update,
        } => check::check(&recordings, tolerance_file.as_deref(), update),
        Command::Analyze {
            capture,
            from,
            to,
            format,
            out,
            output,
        } => {
            output.apply();
            analyze::analyze(&capture, from, to, format, out.as_deref())
        }
        Command::Guest { action } => match action {
            crate::cli::GuestAction::Build { cache } => guest::build(cache),
        },
        Command::Probe => {
            spicebench::xclient::probe::run(&mut std::io::stdout().lock())?;
            Ok(0)
        }
        Command::Audit {
            target,
            ca_file,
            sshd_config,
            ssh_user,
            libvirt_xml,
            format,
        } => {
            let request = audit::Request {
                target,
                ca_file,
                sshd_config,
                ssh_user,
                libvirt_xml,
            };
            audit::audit(request, format).await
        }
    }
}
