fn main() -> std::process::ExitCode {
    pos::cli::main()
}
