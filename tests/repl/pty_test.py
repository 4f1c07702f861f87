#!/usr/bin/env python3
"""Drives the real `dta repl` in a pseudo-terminal, as a person would:
Tab completion, the table on the screen, a block over several lines with the
continuation prompt, Ctrl-C on the line being typed, Ctrl-C during a slow
command (a load of ~600,000 events, cancelled from its progress line) with
the REPL still answering after it, Ctrl-D to leave; then a second session
that recalls the first one's commands from the history file (Up arrow and
Ctrl-R search).

usage: pty_test.py DTA WORKDIR"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30  # seconds one expectation may wait: a loaded CI machine is slow
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r")


class Repl:
    def __init__(self, dta, args, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(dta, [dta, "repl"] + args, env)
        self.seen = b""  # everything the screen received, escapes removed
        self.pos = 0     # how far expect() has matched

    def read(self, wait):
        r, _, _ = select.select([self.fd], [], [], wait)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.seen += ANSI.sub(b"", data)
        return True

    def expect(self, pattern, what):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern, re.S)
        deadline = time.time() + TIMEOUT
        while True:
            m = rx.search(self.seen, self.pos)
            if m:
                self.pos = m.end()
                return m
            if time.time() > deadline or not self.read(min(1.0, deadline - time.time())):
                if time.time() > deadline:
                    sys.exit("FAIL: %s: %r not seen; the screen after the last match:\n%s"
                             % (what, pattern, self.seen[self.pos:].decode(errors="replace")))

    def send(self, text):
        # at a person's pace: keys sent before libedit puts the terminal in
        # its editing mode would meet the terminal driver's own line editing
        time.sleep(0.15)
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def wait_exit(self):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            self.read(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        sys.exit("FAIL: the REPL did not exit")


def main():
    dta, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    small = os.path.join(HERE, "..", "..", "examples", "webservice", "events.jsonl")
    big = os.path.join(work, "big.jsonl")
    if not os.path.exists(big):
        subprocess.run([sys.executable, os.path.join(HERE, "make_events.py"), "600000", big], check=True)
    history = os.path.join(work, "history")
    if os.path.exists(history):
        os.remove(history)
    env = dict(os.environ, DTA_HISTORY=history, TERM="xterm", HOME=work, LC_ALL="C.UTF-8")

    # ---- session 1
    r = Repl(dta, [small], env)
    r.expect(r"loaded 12001 events", "the load line")
    r.expect(r"dta> ", "the prompt")
    r.send("cou\t")                       # Tab completes the command
    r.expect(r"count ", "Tab completed 'cou'")
    r.send("by na\t")                     # ... and then a word of the line
    r.expect(r"by name ", "Tab completed 'na'")
    r.send("\r")
    r.expect(r"name +count +share\s+http\.request +5392 +44\.9%", "the table on the screen")
    r.expect(r"dta> ", "the prompt again")
    r.send("on db.o\t\r")                 # an event name
    r.expect(r"591 events of 12001 selected \(on db\.open\)", "Tab completed an event name")
    r.expect(r"dta> ", "prompt")
    r.send("stats err\t\r")               # a field name of the loaded stream
    r.expect(r"errno +591", "Tab completed a field name")
    r.expect(r"dta> ", "prompt")
    r.send(":wh\t")                       # two candidates: their common part...
    r.expect(r":why", "Tab completed the common part")
    r.send("\t")                          # ... and on a second Tab the list
    r.expect(r"\n:why +:whynot *\n", "Tab listed the candidates")
    r.send("\x15")                        # Ctrl-U: the line is dropped
    r.send("rule failed_open on db.open where errno != 0 {\r")
    r.expect(r"\.\.\.> ", "the continuation prompt inside a block")
    r.send("    error \"cannot open {path}\"\r")
    r.expect(r"\.\.\.> ", "still inside the block")
    r.send("}\r")
    r.expect(r"added rule failed_open", "the block was added")
    r.expect(r"dta> ", "prompt")
    r.send("count by nonsense and more")  # Ctrl-C clears the line being typed
    r.send("\x03")
    r.expect(r"\^C\s*dta> ", "Ctrl-C gave a fresh prompt")
    r.send(":events " + big + "\r")       # a slow command: cancelled from its progress line
    r.expect(r"loading: +\d+%", "the load shows progress")
    r.send("\x03")
    r.expect(r"loaded (\d+) events .*\(interrupted: partial\)", "Ctrl-C cancelled the load")
    r.expect(r"dta> ", "the REPL is still there")
    r.send(":events " + small + "\r")
    r.expect(r"loaded 12001 events", "the REPL answers after Ctrl-C")
    r.expect(r"dta> ", "prompt")
    r.send("on db.open\r")
    r.expect(r"dta> ", "prompt")
    r.send("count\r")
    r.expect(r"\n591\n", "a command after the cancelled one")
    r.expect(r"dta> ", "prompt")
    r.send("\x04")                        # Ctrl-D leaves
    code = r.wait_exit()
    if code != 0:
        sys.exit("FAIL: exit %d after Ctrl-D" % code)
    # libedit writes its history vis(3)-encoded: octal escapes for spaces and newlines
    text = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), open(history, "rb").read())
    if b"count by name" not in text or b"failed_open" not in text:
        sys.exit("FAIL: the history file lacks the commands: %r" % text[:500])

    # ---- session 2: the history of session 1
    r = Repl(dta, [small], env)
    r.expect(r"dta> ", "prompt")
    r.send("\x1b[A")                      # Up: the last command
    r.expect(r"count", "Up recalled the last command")
    r.send("\r")
    r.expect(r"\n12001\n", "the recalled command ran")
    r.expect(r"dta> ", "prompt")
    r.send("\x12stats")                   # Ctrl-R: search back
    r.expect(r"stats err", "Ctrl-R found an older command")
    r.send("\r")
    r.expect(r"errno +3946", "the found command ran (over every event: no 'on' in this session)")
    r.expect(r"dta> ", "prompt")
    r.send(":quit\r")
    code = r.wait_exit()
    if code != 0:
        sys.exit("FAIL: exit %d after :quit" % code)
    print("pty_test: all checks passed")


if __name__ == "__main__":
    main()
