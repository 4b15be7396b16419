//! Running the `ferrogram` binary in tests: a `serve` child and one-shot commands.
#![allow(dead_code)] // Each test file uses its own part.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ferrogram");

/// A `ferrogram serve` child, killed when dropped.
pub struct Served(pub Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ferrogram serve --memory` publishing into `info_dir`, once its `server.json` is there.
pub fn serve(info_dir: &Path) -> Served {
    let child = Command::new(BIN)
        .args(["serve", "--memory", "--listen", "127.0.0.1:0", "--info-dir"])
        .arg(info_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferrogram serve starts");
    let served = Served(child);
    wait_for_file(&info_dir.join("server.json"));
    served
}

/// Waits (polling, up to a minute) until a server child has written `path`.
pub fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "no {} after a minute", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `ferrogram ARGS` in `dir`.
pub fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("ferrogram runs")
}

/// Standard output then standard error.
pub fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Standard output alone.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
