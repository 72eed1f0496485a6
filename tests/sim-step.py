#!/usr/bin/env python3
"""`snapbed sim --step` on a terminal: drives it through a pseudo-terminal
(its stdin is a pty, so isatty() holds) and checks that it pauses where it
should and that each answer does what docs/sim.md says:

  --step            pauses after each told line; Enter tells one more line,
                    `c` runs to the end of the checkpoint (the next pause
                    follows a COMPLETED line), `r` runs to the end (no more
                    pauses, the verdict, exit 0);
  --step=checkpoint pauses only after a checkpoint's end; `q` stops telling
                    (no more narration, but the verdict and exit code).

A pause is recognised by the prompt on stderr; while paused, the process
must be alive and write nothing more. The waits are hang guards, not timing
assertions.

usage: tests/sim-step.py SNAPBED OUT_DIR
"""
import os
import pty
import select
import subprocess
import sys
import time

PROMPT = "[Enter: next"
GUARD_S = 20.0   # no step of a teaching run takes this long: a hang
QUIET_S = 0.3    # how long a paused process is watched for stray output

failures = []


def fail(msg):
    failures.append(msg)
    print("sim-step FAILED: " + msg, file=sys.stderr)


class Run:
    def __init__(self, snapbed, args):
        master, slave = pty.openpty()
        self.tty = master
        self.p = subprocess.Popen([snapbed, "sim"] + args, stdin=slave,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.close(slave)
        self.text = ""

    def _read(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return False
        chunk = os.read(self.p.stdout.fileno(), 65536)
        if not chunk:
            return None
        self.text += chunk.decode("utf-8", "replace")
        return True

    def until_prompt(self):
        """Reads to the next prompt; returns the lines told since the last
        one, or None if the process ended first."""
        start = len(self.text)
        deadline = time.monotonic() + GUARD_S
        while PROMPT not in self.text[start:]:
            if time.monotonic() > deadline:
                fail("no prompt within %.0f s (a hang?)" % GUARD_S)
                return None
            if self._read(0.5) is None:
                return None
        told = self.text[start:self.text.index(PROMPT, start)]
        # The rest of the prompt line up to the pause.
        return [l for l in told.splitlines() if l.strip()]

    def paused(self):
        """Alive and silent: it waits for the reader."""
        before = len(self.text)
        self._read(QUIET_S)
        return self.p.poll() is None and len(self.text) == before

    def answer(self, text):
        os.write(self.tty, text.encode())

    def finish(self):
        deadline = time.monotonic() + GUARD_S
        while self._read(0.5) is not None and time.monotonic() < deadline:
            pass
        rc = self.p.wait(timeout=GUARD_S)
        os.close(self.tty)
        return rc


def event_mode(snapbed, out):
    r = Run(snapbed, ["scenarios/sim/fan-in-4.yaml", "--step", "-o", out + "/step-pty-event"])
    first = r.until_prompt()
    if first is None or len(first) < 1:
        fail("--step: no pause after the first line")
        return
    if not first[-1].lstrip().startswith("t="):
        fail("--step: the pause does not follow a told line: %r" % first[-1])
    if not r.paused():
        fail("--step: it did not wait at the pause")
    r.answer("\n")
    second = r.until_prompt()
    if second is None or len(second) != 1:
        fail("--step: Enter told %r, want one line" % (second,))
    r.answer("c\n")
    chunk = r.until_prompt()
    if chunk is None or "COMPLETED" not in chunk[-1]:
        fail("--step: after c the pause is not at a checkpoint's end: %r" %
             (chunk[-1:] if chunk else chunk,))
    if chunk is not None and len(chunk) < 2:
        fail("--step: c told %d line(s), want the rest of the checkpoint" % len(chunk))
    r.answer("r\n")
    before = r.text.count(PROMPT)
    rc = r.finish()
    if r.text.count(PROMPT) != before:
        fail("--step: it paused again after r")
    if rc != 0 or "SIM RESULT: OK" not in r.text:
        fail("--step: after r, exit %d and no verdict" % rc)


def checkpoint_mode(snapbed, out):
    r = Run(snapbed, ["scenarios/sim/cl-ring.yaml", "--step=checkpoint", "-o",
                      out + "/step-pty-checkpoint"])
    first = r.until_prompt()
    if first is None or "COMPLETE" not in first[-1] or len(first) < 2:
        fail("--step=checkpoint: the first pause is not after snapshot 1's end: %r" %
             (first[-1:] if first else first,))
        return
    if not r.paused():
        fail("--step=checkpoint: it did not wait at the pause")
    told = r.text.count("\n")
    r.answer("q\n")
    rc = r.finish()
    after = r.text.split(PROMPT, 1)[1].splitlines()[1:]
    narrated = [l for l in after if l.lstrip().startswith("t=")]
    if narrated:
        fail("--step=checkpoint: q did not stop the telling: %r" % narrated[:2])
    if rc != 0 or "SNAPSHOTS: OK" not in r.text:
        fail("--step=checkpoint: after q, exit %d and no verdict" % rc)
    if r.text.count("\n") <= told:
        fail("--step=checkpoint: nothing printed after q")


def main():
    snapbed, out = sys.argv[1], sys.argv[2]
    event_mode(snapbed, out)
    checkpoint_mode(snapbed, out)
    if failures:
        sys.exit(1)
    print("sim-step: OK")


if __name__ == "__main__":
    main()
