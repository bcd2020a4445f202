//! The servers on some of the machine's cores and the load generator on the
//! others (the default; `--share-cores` turns it off), so that neither preempts
//! the other in the middle of a request, as with a load generator on another
//! machine. Sharing every core, a request's latency includes the time the
//! scheduler gave the load generator's threads, which is what a tail percentile
//! then mostly measures, and the load generator's work caps a fast server.

use anyhow::{bail, Context, Result};
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::OnceLock;

/// Set once, at the start of a pinned run; the children's starters read it.
static PINNING: OnceLock<Pinning> = OnceLock::new();

/// Which cores serve and which load.
#[derive(Debug, Clone)]
pub struct Pinning {
    pub servers: Vec<usize>,
    pub load: Vec<usize>,
}

impl Pinning {
    /// The cores this process may run on, split in two: the first half (rounded
    /// up) for the servers, the rest for the load generator.
    pub fn split() -> Result<Self> {
        let allowed =
            sched_getaffinity(Pid::from_raw(0)).context("reading this process's cores")?;
        let cores: Vec<usize> = (0..CpuSet::count())
            .filter(|&c| allowed.is_set(c).unwrap_or(false))
            .collect();
        Self::of(&cores)
    }

    fn of(cores: &[usize]) -> Result<Self> {
        if cores.len() < 2 {
            bail!(
                "pinning needs at least two cores, this process may use {} (pass --share-cores)",
                cores.len()
            );
        }
        let (servers, load) = cores.split_at(cores.len().div_ceil(2));
        Ok(Self {
            servers: servers.to_vec(),
            load: load.to_vec(),
        })
    }

    /// Makes this the run's pinning (for [`pin_server_child`]) and pins the
    /// calling thread, which drives the load generator's runtime, to the load
    /// cores.
    pub fn install(self) -> &'static Pinning {
        pin_current_thread(&self.load);
        PINNING.get_or_init(|| self)
    }

    pub fn describe(&self) -> String {
        format!(
            "servers on cores {:?}, load generator on {:?}",
            self.servers, self.load
        )
    }
}

fn set_of(cores: &[usize]) -> CpuSet {
    let mut set = CpuSet::new();
    for &c in cores {
        // `split` only hands out cores the process is allowed, all below count().
        let _ = set.set(c);
    }
    set
}

/// Restricts the calling thread (and the threads and processes it starts later)
/// to `cores`.
pub fn pin_current_thread(cores: &[usize]) {
    if let Err(e) = sched_setaffinity(Pid::from_raw(0), &set_of(cores)) {
        eprintln!("bench: could not pin a thread to cores {cores:?}: {e}");
    }
}

/// In a pinned run, makes the server `cmd` starts (the peer, Spin) run on the
/// servers' cores from its first instruction, so that every thread it makes
/// inherits them (and its runtime, which sizes itself by them, as many workers as
/// ours has).
pub fn pin_server_child(cmd: &mut Command) {
    let Some(pinning) = PINNING.get() else {
        return;
    };
    let set = set_of(&pinning.servers);
    // SAFETY: between fork and exec the closure only makes one system call on a
    // set built before the fork; it neither allocates nor takes a lock.
    unsafe {
        cmd.pre_exec(move || {
            sched_setaffinity(Pid::from_raw(0), &set).map_err(std::io::Error::from)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_get_the_larger_half() {
        let p = Pinning::of(&[0, 1]).unwrap();
        assert_eq!((p.servers, p.load), (vec![0], vec![1]));
        let p = Pinning::of(&[2, 3, 5]).unwrap();
        assert_eq!((p.servers, p.load), (vec![2, 3], vec![5]));
        assert!(Pinning::of(&[0]).is_err());
    }
}
