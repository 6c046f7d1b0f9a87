//! The `spicebench` command line.

mod bar_progress;
mod output_mode;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use spicebench::export::text::{render, Row, WarningDetail};
use spicebench::run::{run_matrix, MatrixOutcome};
use spicebench::scenario::{parse_compression_list, Scenario};

/// Measure what a SPICE remote-desktop session costs: MiB/s per channel and input-to-display
/// latency, per compression mode.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: every configuration of its matrix, one result file each.
    Run {
        /// Scenario file (TOML, see docs/scenario.md).
        scenario: PathBuf,
        /// Output directory [default: reports/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compression modes to measure instead of the scenario's list, e.g. "off,glz".
        #[arg(long)]
        compression: Option<String>,
        /// Transports instead of the scenario's `[access]`, e.g. "direct,ssh-tunnel,ssh-x-C"
        /// (`-C`: with ssh compression).
        #[arg(long)]
        transports: Option<String>,
        /// Viewers instead of the scenario's `[access]`, e.g. "spicebench,remote-viewer".
        #[arg(long)]
        viewers: Option<String>,
        #[command(flatten)]
        output: output_mode::OutputMode,
        /// Print only the final table (no progress bars or lines), e.g. for CI.
        #[arg(long, short)]
        quiet: bool,
        /// Do not capture packets (no wire numbers; no privilege needed for capture).
        #[arg(long)]
        no_capture: bool,
        /// Exit 1 when any result carries a warning (a number that should not be trusted).
        #[arg(long)]
        strict: bool,
        /// Print every warning in full under the final table (default: the first line of
        /// each, shortened).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Build one HTML report (plus Markdown and CSV tables) from results files of any runs.
    Report {
        /// Results files (`runs/<config>.json`) or directories holding them (a run's output
        /// directory or its `runs/`).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// Output directory [default: reports/report].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Configuration the others are compared with [default: the first].
        #[arg(long)]
        baseline: Option<String>,
        /// Report title.
        #[arg(long, default_value = "spicebench report")]
        title: String,
        #[command(flatten)]
        output: output_mode::OutputMode,
    },
    /// Promote a run's capture into the recordings library, with its expected analysis.
    Record {
        /// The run's output directory and configuration, e.g. reports/drag/glz.
        run_config: PathBuf,
        /// Name of the recording folder.
        #[arg(long)]
        name: String,
        /// Recordings library.
        #[arg(long, default_value = "recordings")]
        recordings: PathBuf,
    },
    /// Re-analyse every recording and compare with its expected.json; exit 1 on a regression.
    Check {
        /// Recordings library.
        #[arg(default_value = "recordings")]
        recordings: PathBuf,
        /// Relative tolerances per metric prefix (TOML, see `spicebench::check::tolerance`).
        #[arg(long)]
        tolerance_file: Option<PathBuf>,
        /// Rewrite every expected.json from the current analysis (after a deliberate change).
        #[arg(long)]
        update: bool,
    },
    /// Look for what opens a SPICE console to others: a port without ticket, plain or
    /// weak TLS, listening beyond loopback; an sshd or libvirt setup that lets too much
    /// through. Exit 1 on a high finding.
    Audit {
        /// The SPICE endpoint to probe: spice://host:port or spice+tls://host:port.
        target: Option<String>,
        /// The CA that should have signed a TLS endpoint's certificate (PEM).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// An sshd configuration to check (evaluated with `sshd -T` for --ssh-user).
        #[arg(long)]
        sshd_config: Option<PathBuf>,
        /// The account SPICE users log in as for their tunnels.
        #[arg(long)]
        ssh_user: Option<String>,
        /// A libvirt domain definition (virsh dumpxml) to check.
        #[arg(long)]
        libvirt_xml: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Stamp every pointer event on this X display (run on the target's desktop, with DISPLAY
    /// and XAUTHORITY set): fills an 8x8 square in the top-left corner with a colour encoding
    /// the pointer state, so a viewer knows which input each frame answers (docs/latency.md).
    /// The lab starts it on its own Xspice; start it yourself inside other guests.
    Probe,
    /// Analyse a capture file (pcap or pcapng): every byte to a flow, a transport and a SPICE
    /// channel, in the same results model a run writes.
    Analyze {
        /// Capture file.
        capture: PathBuf,
        /// Analyse only from this time (seconds since the Unix epoch).
        #[arg(long)]
        from: Option<f64>,
        /// Analyse only up to this time (seconds since the Unix epoch).
        #[arg(long)]
        to: Option<f64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        output: output_mode::OutputMode,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A table per connection.
    Table,
    /// The `spicebench.run/v1` JSON.
    Json,
}

fn main() -> ExitCode {
    // The lab runs `spicebench probe` from this program, whatever its file is called.
    spicebench::lab::probe::mark_cli();
    let cli = Cli::parse();
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
    let code = match runtime.block_on(dispatch(cli)) {
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

async fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
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
            let output_mode = output.apply();
            let options = spicebench::run::RunOptions {
                capture: !no_capture,
                output_mode,
            };
            let axes = Axes {
                compression,
                transports,
                viewers,
            };
            let detail = if verbose {
                WarningDetail::Full
            } else {
                WarningDetail::Short
            };
            run(scenario, out, axes, quiet, detail, strict, &options).await
        }
        Command::Report {
            results,
            out,
            baseline,
            title,
            output,
        } => {
            output.apply();
            report(&results, out, baseline, &title)
        }
        Command::Record {
            run_config,
            name,
            recordings,
        } => record(&run_config, &name, &recordings),
        Command::Check {
            recordings,
            tolerance_file,
            update,
        } => check(&recordings, tolerance_file.as_deref(), update),
        Command::Analyze {
            capture,
            from,
            to,
            format,
            out,
            output,
        } => {
            output.apply();
            analyze(&capture, from, to, format, out.as_deref())
        }
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
            let target = target
                .map(|t| {
                    t.parse::<spicebench::scenario::SpiceUri>()
                        .with_context(|| format!("audit target `{t}`"))
                })
                .transpose()?;
            let request = spicebench::audit::AuditRequest {
                target,
                ca_file,
                sshd_config,
                ssh_user,
                libvirt_xml,
            };
            let report = spicebench::audit::audit(&request).await?;
            match format {
                Format::Table => {
                    spicebench::out!("{}", spicebench::export::audit::audit_table(&report))
                }
                Format::Json => spicebench::outln!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(u8::from(report.has_high()))
        }
    }
}

fn record(
    run_config: &std::path::Path,
    name: &str,
    recordings: &std::path::Path,
) -> anyhow::Result<u8> {
    use spicebench::check::recording::{run_metadata, CAPTURE, METADATA};
    use spicebench::check::{CheckError, Recording};
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "--name {name:?}: use letters, digits, '-', '_' and '.'"
    );
    let config = run_config
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .context("give the run directory and configuration, e.g. reports/drag/glz")?;
    let run_dir = run_config.parent().unwrap_or(std::path::Path::new("."));
    let capture = run_dir.join("captures").join(format!("{config}.pcapng"));
    let result = run_dir.join("runs").join(format!("{config}.json"));
    anyhow::ensure!(
        capture.exists(),
        "{} does not exist: was the run captured (not --no-capture)?",
        capture.display()
    );
    let run = spicebench::results::RunResult::read(&result)?;
    let rec = Recording {
        dir: recordings.join(name),
    };
    if rec.dir.exists() {
        return Err(CheckError::Exists(rec.dir).into());
    }
    std::fs::create_dir_all(&rec.dir).with_context(|| format!("creating {}", rec.dir.display()))?;
    std::fs::copy(&capture, rec.file(CAPTURE))
        .with_context(|| format!("copying {}", capture.display()))?;
    let now = spicebench::results::rfc3339(std::time::SystemTime::now());
    std::fs::write(
        rec.file(METADATA),
        run_metadata(
            name,
            &run,
            &now,
            &spicebench::lab::xspice::package_versions(),
        ),
    )
    .with_context(|| format!("writing {}", rec.file(METADATA).display()))?;
    let expected = rec.analyze()?;
    rec.write_expected(&expected)?;
    spicebench::outln!(
        "recorded {} ({} packets, {} connections); spicebench check now covers it",
        rec.dir.display(),
        expected.capture.as_ref().map_or(0, |c| c.packets),
        expected.channels.len()
    );
    Ok(0)
}

fn check(
    recordings: &std::path::Path,
    tolerance_file: Option<&std::path::Path>,
    update: bool,
) -> anyhow::Result<u8> {
    use spicebench::check::{compare, Recording, Tolerances};
    let tolerances = match tolerance_file {
        Some(p) => Tolerances::load(p)?,
        None => Tolerances::default(),
    };
    let all = Recording::find_all(recordings)?;
    anyhow::ensure!(
        !all.is_empty(),
        "{} holds no recordings",
        recordings.display()
    );
    let fmt = |v: Option<f64>| v.map_or("(absent)".to_string(), |v| format!("{v}"));
    let (mut failed, mut rows) = (0, String::new());
    for rec in &all {
        let outcome = rec.check_layout().and_then(|()| rec.analyze());
        let got = match outcome {
            Ok(r) => r,
            Err(e) => {
                failed += 1;
                rows.push_str(&format!("{:<28} ERROR  {e}\n", rec.name()));
                continue;
            }
        };
        if update {
            rec.write_expected(&got)?;
            rows.push_str(&format!(
                "{:<28} updated {}\n",
                rec.name(),
                rec.file("expected.json").display()
            ));
            continue;
        }
        let diffs = match rec.expected() {
            Ok(expected) => compare(&expected, &got, &tolerances),
            Err(e) => {
                failed += 1;
                rows.push_str(&format!("{:<28} ERROR  {e}\n", rec.name()));
                continue;
            }
        };
        if diffs.is_empty() {
            rows.push_str(&format!("{:<28} ok\n", rec.name()));
            continue;
        }
        failed += 1;
        rows.push_str(&format!(
            "{:<28} MOVED  {} metric(s)\n",
            rec.name(),
            diffs.len()
        ));
        for d in diffs {
            rows.push_str(&format!(
                "    {:<64} expected {:>16}  got {:>16}  delta {:>12}  (tolerance {:.1} %)\n",
                d.metric,
                fmt(d.expected),
                fmt(d.got),
                fmt(d.delta()),
                d.tolerance * 100.0
            ));
        }
    }
    spicebench::out!("{rows}");
    spicebench::outln!("check: {} passed, {} failed", all.len() - failed, failed);
    Ok(if failed == 0 { 0 } else { 1 })
}

/// Results files named on the command line, directories expanded to the JSON files they hold.
fn result_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let dir = if input.join("runs").is_dir() {
                input.join("runs")
            } else {
                input.clone()
            };
            let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            found.sort();
            anyhow::ensure!(
                !found.is_empty(),
                "{} holds no results files (*.json)",
                dir.display()
            );
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn report(
    inputs: &[PathBuf],
    out: Option<PathBuf>,
    baseline: Option<String>,
    title: &str,
) -> anyhow::Result<u8> {
    let mut results = Vec::new();
    for file in result_files(inputs)? {
        let r = spicebench::results::RunResult::read(&file)?;
        results.push((file, r));
    }
    spicebench::run::report_files::disambiguate(&mut results);
    let names: Vec<String> = results.iter().map(|(_, r)| r.config.name.clone()).collect();
    if let Some(b) = &baseline {
        anyhow::ensure!(
            names.contains(b),
            "--baseline {b}: no such configuration; the results hold: {}",
            names.join(", ")
        );
    }
    let out = out.unwrap_or_else(|| PathBuf::from("reports").join("report"));
    let runs: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
    let index =
        spicebench::run::report_files::write_report(&out, &runs, &[], title, baseline.as_deref())
            .with_context(|| format!("writing the report in {}", out.display()))?;
    spicebench::outln!(
        "report: {} ({} configurations)",
        index.display(),
        runs.len()
    );
    Ok(0)
}

fn epoch_ns(flag: &str, secs: Option<f64>) -> anyhow::Result<Option<u64>> {
    match secs {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some((s * 1e9) as u64)),
        Some(s) => {
            anyhow::bail!("{flag} {s}: give seconds since the Unix epoch, e.g. 1764316800.5")
        }
    }
}

fn analyze(
    capture: &std::path::Path,
    from: Option<f64>,
    to: Option<f64>,
    format: Format,
    out: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    let opts = spicebench::analyze::AnalyzeOptions {
        from_ns: epoch_ns("--from", from)?,
        to_ns: epoch_ns("--to", to)?,
        ..Default::default()
    };
    if let (Some(f), Some(t)) = (opts.from_ns, opts.to_ns) {
        anyhow::ensure!(f < t, "--from must be earlier than --to");
    }
    // The capture's own errors name the file.
    let mut result = spicebench::analyze::analyze_file(capture, opts)?;
    let untrusted = spicebench::analyze::causal::latency_warnings(&result.latency);
    result.warnings.extend(untrusted);
    let text = match format {
        Format::Table => spicebench::export::text::render_flows(&result),
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
    };
    match out {
        Some(path) => spicebench::results::file::write_bytes_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => spicebench::out!("{text}"),
    }
    Ok(0)
}

/// Matrix axes given on the command line.
struct Axes {
    compression: Option<String>,
    transports: Option<String>,
    viewers: Option<String>,
}

/// Fails unless `out` can hold a run's files: created if needed, and a file can be written
/// in it (checked once, before anything starts, rather than per configuration).
fn check_writable(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "creating the output directory {}; choose another with --out",
            out.display()
        )
    })?;
    let probe = out.join(".spicebench-write-test");
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the output directory {} is not writable; choose another with --out",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

async fn run(
    path: PathBuf,
    out: Option<PathBuf>,
    axes: Axes,
    quiet: bool,
    detail: WarningDetail,
    strict: bool,
    options: &spicebench::run::RunOptions,
) -> anyhow::Result<u8> {
    use spicebench::scenario::{parse_route_list, parse_viewer_list, Access, MatrixOverride};
    let scenario = Scenario::load(&path)?;
    let compression = match axes.compression {
        Some(list) => {
            let list = parse_compression_list(&list).context("--compression")?;
            for c in &list {
                scenario
                    .target
                    .check_compression(*c)
                    .context("--compression")?;
            }
            Some(list)
        }
        None => None,
    };
    let routes = axes
        .transports
        .map(|l| parse_route_list(&l).context("--transports"))
        .transpose()?;
    let viewers = axes
        .viewers
        .map(|l| parse_viewer_list(&l).context("--viewers"))
        .transpose()?;
    let access = Access {
        routes: routes.clone().unwrap_or(scenario.access.routes.clone()),
        viewers: viewers.clone().unwrap_or(scenario.access.viewers.clone()),
        ..scenario.access.clone()
    };
    access
        .check()
        .context("the transports and viewers asked for")?;
    if let Some(why) = access
        .viewers
        .iter()
        .find_map(|v| scenario.viewer_refusal(*v))
    {
        anyhow::bail!("--viewers: {}", why.message());
    }
    // Before anything is created or started: a lab that cannot start should not leave an
    // output tree or a lab folder behind.
    spicebench::run::preflight::check(&scenario.target, &access, options.capture)?;
    let out = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    check_writable(&out)?;
    // Before the first configuration: a signal from now on stops the sweep cleanly.
    let mut interrupts = spicebench::run::interrupt::Interrupts::install()
        .context("installing the SIGINT/SIGTERM/SIGHUP handlers")?;
    let configs = scenario.configurations(MatrixOverride {
        compression: compression.as_deref(),
        routes: routes.as_deref(),
        viewers: viewers.as_deref(),
    });
    if !quiet {
        spicebench::errln!(
            "spicebench: scenario `{}` from {}: {} configuration(s), results in {}",
            scenario.name,
            path.display(),
            configs.len(),
            out.join("runs").display()
        );
    }
    let outcome = if quiet {
        let progress = spicebench::run::progress::LineProgress { quiet: true };
        run_matrix(
            &scenario,
            &configs,
            &out,
            options,
            &progress,
            &mut interrupts,
        )
        .await
    } else {
        let progress = bar_progress::BarProgress::new(configs.len());
        run_matrix(
            &scenario,
            &configs,
            &out,
            options,
            &progress,
            &mut interrupts,
        )
        .await
    };
    print_outcome(&outcome, detail);
    if spicebench::console::stdout_lost() {
        spicebench::errln!(
            "note: standard output was closed, so the table was not shown; it is in {}",
            out.join("summary.md").display()
        );
    }
    if let Some(e) = &outcome.report_error {
        spicebench::errln!("error: the report was not written: {e}");
    }
    let warned = outcome
        .done
        .iter()
        .filter(|(_, r, _)| !r.warnings.is_empty())
        .count();
    if strict && warned > 0 {
        spicebench::errln!(
            "--strict: {warned} configuration(s) carry warnings (see their results' warnings)"
        );
    }
    Ok(match outcome.interrupted {
        Some(signal) => signal.exit_code(),
        None if !outcome.failed.is_empty() || outcome.report_error.is_some() => 1,
        None if strict && warned > 0 => 1,
        None => 0,
    })
}

fn print_outcome(outcome: &MatrixOutcome, detail: WarningDetail) {
    let mut rows: Vec<Row<'_>> = Vec::new();
    rows.extend(outcome.done.iter().map(|(_, r, _)| Row::Done(r)));
    rows.extend(outcome.failed.iter().map(|(c, e)| Row::Failed {
        name: &c.name,
        error: e,
    }));
    rows.extend(outcome.not_run.iter().map(|c| Row::NotRun(&c.name)));
    spicebench::outln!("{}", render(&rows, detail));
    if let Some(signal) = outcome.interrupted {
        spicebench::errln!(
            "{signal}: {} configuration(s) finished and kept, {} not run",
            outcome.done.len(),
            outcome.not_run.len()
        );
    }
}
