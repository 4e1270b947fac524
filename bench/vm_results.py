#!/usr/bin/env python3
"""The benchmarks' one reader of per-program result files.

A VM run (vm/run.sh) leaves, for every program the guest ran, files in
RUN/programs (vm/guest.sh prog): NN-NAME.ktap (its output), NN-NAME.rc
(its exit status), NN-NAME.cmd (its command line) and NN-NAME.json when
it wrote JSON to the path its command named as @JSON@. Where /dev/kvm
exists the benchmarks run their programs here instead, through `run`,
which leaves the same files.

Usage: vm_results.py list DIR          one line a program, tab-separated:
                                       exit status (- if none), JSON path
                                       (- if none), command
       vm_results.py run DIR CMD...    runs each CMD (words; @JSON@ is its
                                       JSON path) in turn, its output also
                                       on stdout; exit 1 if one failed
"""
import glob
import json
import os
import re
import subprocess
import sys


class Program:
    """One program's files: nn, name, cmd (words), rc, output, json."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.nn, self.name = os.path.basename(prefix).split('-', 1)
        self.cmd = _read(prefix + '.cmd').split()
        rc = _read(prefix + '.rc').strip()
        self.rc = int(rc) if rc.lstrip('-').isdigit() else None
        self.output = _read(prefix + '.ktap')
        self.json_path = prefix + '.json' if os.path.isfile(prefix + '.json') else None

    def json(self):
        """The parsed JSON file, None when missing or not JSON."""
        try:
            with open(self.json_path, errors='replace') as f:
                return json.load(f)
        except (TypeError, OSError, ValueError):
            return None


def _read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def programs(folder):
    """Every program in FOLDER, in the order they ran."""
    names = {m.group(1) for m in (re.match(r'^(\d+-.+)\.(ktap|rc|cmd)$', os.path.basename(p))
                                  for p in glob.glob(os.path.join(folder, '*'))) if m}
    return [Program(os.path.join(folder, n)) for n in sorted(names, key=lambda n: int(n.split('-')[0]))]


def run(folder, commands):
    """Runs COMMANDS here, leaving the files a VM run leaves; True if all exited 0."""
    os.makedirs(folder, exist_ok=True)
    ok = True
    for nn, command in enumerate(commands, 1):
        words = command.split()
        prefix = os.path.join(folder, f'{nn:02d}-{os.path.basename(words[0])}')
        words = [w.replace('@JSON@', prefix + '.json') for w in words]
        with open(prefix + '.cmd', 'w') as f:
            print(' '.join(words), file=f)
        print('# running: ' + ' '.join(words), flush=True)
        try:
            proc = subprocess.run(words, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, errors='replace', check=False)
            output, rc = proc.stdout, proc.returncode
        except OSError as e:  # as a shell says it: not found or not executable
            output, rc = f'{words[0]}: {e.strerror}\n', 127
        sys.stdout.write(output)
        sys.stdout.flush()
        with open(prefix + '.ktap', 'w') as f:
            f.write(output)
        with open(prefix + '.rc', 'w') as f:
            print(rc, file=f)
        ok = ok and rc == 0
    return ok


def main(argv):
    if len(argv) == 3 and argv[1] == 'list':
        for p in programs(argv[2]):
            print(f"{'-' if p.rc is None else p.rc}\t{p.json_path or '-'}\t{' '.join(p.cmd)}")
        return 0
    if len(argv) >= 3 and argv[1] == 'run':
        return 0 if run(argv[2], argv[3:]) else 1
    print('usage: vm_results.py list DIR | run DIR CMD...', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
