//! An adapter program as a child process: frames over its stdin and stdout, a wall-clock limit
//! per call, a bounded tail of its stderr, and reaping in every case.
//!
//! No threads: the pipes are non-blocking and every wait is a `poll(2)` on the pipe we need
//! (stdin writable, stdout readable) together with stderr, which is drained into a bounded
//! tail whenever it has bytes so that a chatty adapter never blocks on a full stderr pipe.
//! The child gets `PR_SET_PDEATHSIG = SIGKILL` (it dies with us, also on Ctrl-C or a crash of
//! the simulator); dropping the [`Process`] closes its stdin (adapters exit on EOF), waits up
//! to [`EXIT_GRACE`] and kills it if it is still running, then reaps it.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};

use super::protocol::{self, pb};

/// How long a dropped adapter may take to exit after its stdin closed before it is killed.
pub const EXIT_GRACE: Duration = Duration::from_millis(2_000);

/// Bytes of the adapter's stderr kept for error messages (the last ones).
const STDERR_TAIL_BYTES: usize = 8 * 1024;

/// Lines of the stderr tail shown in an error message.
const STDERR_TAIL_LINES: usize = 20;

/// A running adapter program.
pub struct Process {
    /// The program and its arguments as the user gave them (for messages).
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
    stderr_tail: VecDeque<u8>,
    /// Bytes read from stdout; `rbuf[rstart..rend]` not consumed yet.
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    wbuf: Vec<u8>,
    timeout: Duration,
    seq: u64,
    /// Set once a call failed: every later call fails with the same reason.
    failed: Option<String>,
}

impl Process {
    /// Starts `command[0]` with the arguments `command[1..]`, stdin and stdout piped for
    /// frames, stderr piped into the tail; every call may take at most `timeout`.
    ///
    /// Errors: an empty command, or the program cannot be started (not found, not
    /// executable), as a message naming it.
    pub fn spawn(command: &[String], timeout: Duration) -> Result<Process, String> {
        let label = shell_words(command);
        let Some((program, args)) = command.split_first() else {
            return Err("the adapter command is empty".into());
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let parent = rustix::process::getpid();
        // SAFETY: runs in the forked child before exec; it only makes async-signal-safe
        // system calls (prctl, getppid) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                rustix::process::set_parent_process_death_signal(Some(
                    rustix::process::Signal::KILL,
                ))?;
                // The parent may have died before the prctl: then nobody would kill us.
                if rustix::process::getppid() != Some(parent) {
                    return Err(std::io::Error::other("the simulator exited"));
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the adapter `{label}`: {e}"))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot start the adapter `{label}`: no pipes"));
        };
        for fd in [stdin.as_fd(), stdout.as_fd(), stderr.as_fd()] {
            let set = fcntl_getfl(fd).and_then(|fl| fcntl_setfl(fd, fl | OFlags::NONBLOCK));
            if let Err(e) = set {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot set up the adapter's pipes: {e}"));
            }
        }
        Ok(Process {
            label,
            child,
            stdin: Some(stdin),
            stdout,
            stderr: Some(stderr),
            stderr_tail: VecDeque::new(),
            rbuf: vec![0; 256 * 1024],
            rstart: 0,
            rend: 0,
            wbuf: Vec::with_capacity(64 * 1024),
            timeout,
            seq: 0,
            failed: None,
        })
    }

    /// Sends `body` and waits for its reply (at most the call limit).
    ///
    /// Errors: the adapter exited or closed a pipe, wrote a malformed or out-of-order frame,
    /// or did not answer in time; an `Error` reply. The message names the adapter, what
    /// went wrong and ends with its last stderr lines. After a failure every call fails.
    pub fn call(&mut self, body: pb::request::Body) -> Result<pb::reply::Body, String> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let name = protocol::request_name(&body);
        match self.exchange(body) {
            Ok(reply) => Ok(reply),
            Err(why) => {
                let msg = self.failure_message(name, &why);
                self.failed = Some(msg.clone());
                // A hung or confused adapter is of no further use.
                let _ = self.child.kill();
                Err(msg)
            }
        }
    }

    /// Marks the adapter failed on `request` because of `why` (e.g. a reply that decoded
    /// but makes no sense) and returns the full message; later calls fail with it.
    pub fn fail(&mut self, request: &str, why: &str) -> String {
        let msg = self.failure_message(request, why);
        self.failed = Some(msg.clone());
        let _ = self.child.kill();
        msg
    }

    fn exchange(&mut self, body: pb::request::Body) -> Result<pb::reply::Body, String> {
        self.seq += 1;
        let req = pb::Request {
            seq: self.seq,
            body: Some(body),
        };
        let deadline = Instant::now() + self.timeout;
        self.wbuf.clear();
        protocol::encode_frame(&req, &mut self.wbuf);
        self.write_all(deadline)?;
        let mut prefix = [0u8; 4];
        self.fill(4, deadline)?;
        prefix.copy_from_slice(&self.rbuf[self.rstart..self.rstart + 4]);
        let len = protocol::frame_len(prefix)?;
        self.fill(4 + len, deadline)?;
        let body = Bytes::copy_from_slice(&self.rbuf[self.rstart + 4..self.rstart + 4 + len]);
        self.rstart += 4 + len;
        if self.rstart == self.rend {
            (self.rstart, self.rend) = (0, 0);
        }
        let reply = protocol::decode_reply(body)?;
        if reply.seq != self.seq {
            return Err(format!(
                "reply out of order: seq {} answers request {}",
                reply.seq, self.seq
            ));
        }
        match reply.body {
            None => Err("empty reply (no body)".into()),
            Some(pb::reply::Body::Error(e)) => Err(format!("the adapter refused: {}", e.message)),
            Some(b) => Ok(b),
        }
    }

    /// Writes `wbuf` to the child's stdin before `deadline`.
    fn write_all(&mut self, deadline: Instant) -> Result<(), String> {
        let mut off = 0;
        while off < self.wbuf.len() {
            let stdin = self.stdin.as_mut().expect("open until drop");
            match stdin.write(&self.wbuf[off..]) {
                Ok(n) => off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.wait_for(Pipe::Stdin, deadline)?
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                    return Err(format!("it closed its stdin{}", self.exit_note()))
                }
                Err(e) => return Err(format!("writing to its stdin: {e}")),
            }
        }
        Ok(())
    }

    /// Reads from the child's stdout until `rbuf[rstart..rend]` holds at least `want` bytes.
    /// Waits (poll) before each read: a reply is never there the moment the request left.
    fn fill(&mut self, want: usize, deadline: Instant) -> Result<(), String> {
        if self.rbuf.len() - self.rstart < want {
            // Make room: move what is held to the front, grow for a large frame.
            self.rbuf.copy_within(self.rstart..self.rend, 0);
            self.rend -= self.rstart;
            self.rstart = 0;
            if self.rbuf.len() < want {
                self.rbuf.resize(want.next_power_of_two(), 0);
            }
        }
        while self.rend - self.rstart < want {
            self.wait_for(Pipe::Stdout, deadline)?;
            match self.stdout.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => {
                    let have = self.rend - self.rstart;
                    return Err(if have == 0 {
                        format!("it closed its stdout{}", self.exit_note())
                    } else {
                        format!(
                            "it closed its stdout in the middle of a frame ({have} of {want} \
                             bytes){}",
                            self.exit_note()
                        )
                    });
                }
                Ok(n) => self.rend += n,
                Err(e) => match e.kind() {
                    ErrorKind::WouldBlock | ErrorKind::Interrupted => {}
                    _ => return Err(format!("reading its stdout: {e}")),
                },
            }
        }
        Ok(())
    }

    /// Waits until `pipe` is ready, draining stderr meanwhile.
    ///
    /// Errors: `deadline` passed.
    fn wait_for(&mut self, pipe: Pipe, deadline: Instant) -> Result<(), String> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "no answer within {} (the call limit, `sds.external.timeout`)",
                    crate::scenario::SimDuration::from_micros(self.timeout.as_micros() as u64)
                ));
            }
            let left = deadline - now;
            let ts = rustix::event::Timespec {
                tv_sec: left.as_secs() as _,
                tv_nsec: left.subsec_nanos() as _,
            };
            let (ready, err_ready) = {
                let (fd, flags) = match pipe {
                    Pipe::Stdin => (
                        self.stdin.as_ref().expect("open until drop").as_fd(),
                        PollFlags::OUT,
                    ),
                    Pipe::Stdout => (self.stdout.as_fd(), PollFlags::IN),
                };
                let mut fds = vec![PollFd::from_borrowed_fd(fd, flags)];
                if let Some(e) = &self.stderr {
                    fds.push(PollFd::from_borrowed_fd(e.as_fd(), PollFlags::IN));
                }
                match poll(&mut fds, Some(&ts)) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(format!("poll: {e}")),
                }
                (
                    !fds[0].revents().is_empty(),
                    fds.get(1).is_some_and(|f| !f.revents().is_empty()),
                )
            };
            if err_ready {
                self.drain_stderr();
            }
            if ready {
                return Ok(());
            }
        }
    }

    /// Moves whatever stderr holds into the tail; closes it at EOF.
    fn drain_stderr(&mut self) {
        let Some(err) = self.stderr.as_mut() else {
            return;
        };
        let mut buf = [0u8; 8192];
        loop {
            match err.read(&mut buf) {
                Ok(0) => {
                    self.stderr = None;
                    return;
                }
                Ok(n) => {
                    self.stderr_tail.extend(&buf[..n]);
                    let excess = self.stderr_tail.len().saturating_sub(STDERR_TAIL_BYTES);
                    self.stderr_tail.drain(..excess);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return, // WouldBlock: drained for now
            }
        }
    }

    /// `" (exited with status 3)"`, `" (killed by signal 9)"`, or nothing if it still runs
    /// after a short wait.
    fn exit_note(&mut self) -> String {
        let until = Instant::now() + Duration::from_millis(200);
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) => return format!(" ({})", describe(st)),
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(1)),
                _ => return String::new(),
            }
        }
    }

    /// The one message of a failed call: the adapter, the request, what went wrong, and its
    /// last stderr lines.
    fn failure_message(&mut self, request: &str, why: &str) -> String {
        // Whatever it wrote before dying.
        self.drain_stderr();
        let tail = String::from_utf8_lossy(&self.stderr_tail.iter().copied().collect::<Vec<_>>())
            .into_owned();
        let lines: Vec<&str> = tail.lines().collect();
        let shown = &lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..];
        let mut msg = format!(
            "adapter `{}` (pid {}) failed on `{request}`: {why}",
            self.label,
            self.child.id()
        );
        if shown.is_empty() {
            msg.push_str("; it wrote nothing to stderr");
        } else {
            msg.push_str("; its last stderr lines:");
            for l in shown {
                msg.push_str("\n  | ");
                msg.push_str(&crate::names::escape_controls(l));
            }
        }
        msg
    }
}

#[derive(Clone, Copy)]
enum Pipe {
    Stdin,
    Stdout,
}

fn describe(st: ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => st.to_string(),
    }
}

/// `prog arg "two words"` for messages.
fn shell_words(command: &[String]) -> String {
    command
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@+,".contains(&b))
            {
                w.clone()
            } else {
                format!("{w:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Drop for Process {
    fn drop(&mut self) {
        // EOF on its stdin: a well-behaved adapter exits now.
        drop(self.stdin.take());
        if self.failed.is_none() {
            let until = Instant::now() + EXIT_GRACE;
            while Instant::now() < until {
                match self.child.try_wait() {
                    Ok(Some(_)) => return,
                    Ok(None) => {
                        self.drain_stderr();
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(_) => break,
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
