use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = pos::config::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Inside the runtime: an OTLP exporter runs as a task on it.
    let telemetry = {
        let _entered = runtime.enter();
        match pos::telemetry::init(cli.config.log_format) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    let outcome = runtime.block_on(pos::cli::run(cli));
    runtime.block_on(telemetry.shutdown());
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
