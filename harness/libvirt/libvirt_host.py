"""Two libvirt hosts on one machine, for migrating through libvirt.

libvirt refuses to migrate a guest to the host it runs on: it compares
hostnames and host UUIDs.  Each Host here is a libvirtd with its own
virtlogd in a mount and UTS namespace of its own: a hostname of its
own, and private /etc/libvirt (with its own host_uuid), /run/libvirt,
/var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt, bind-mounted
from a directory of the caller's.  The machine's own libvirt state is
never touched; the namespaces share the network, so a migration goes
over TCP on loopback.  virsh reaches a host through the socket in its
directory (Host.uri).

Stopping a host kills every process in its mount namespace: the daemons
and the QEMU processes they started, which outlive libvirtd otherwise.
Needs root, unshare(1), and Debian's libvirt-daemon,
libvirt-daemon-driver-qemu and libvirt-clients (harness/build/deps.sh
--libvirt).
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

# each bind-mounted from the directory of that name under the host's root
PRIVATE = {'etc': '/etc/libvirt', 'run': '/run/libvirt',
           'lib': '/var/lib/libvirt', 'log': '/var/log/libvirt',
           'cache': '/var/cache/libvirt'}

# What this container allows: QEMU runs as root, without cgroups, mount
# namespaces or a security driver
QEMU_CONF = '''user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
namespaces = []
cgroup_controllers = []
'''


class VirshError(RuntimeError):
    pass


def exit_on_sigterm():
    """Let SIGTERM unwind the stack, so that the hosts stop as they
    would at the end"""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


class Host:
    """A libvirtd in namespaces of its own, its state under @root."""

    def __init__(self, root, hostname):
        self.root = os.path.abspath(root)
        self.hostname = hostname
        self.uri = ('qemu+unix:///system?socket='
                    f'{self.root}/run/libvirt-sock')
        self.proc = None
        self.ns = None
        self.log = os.path.join(self.root, 'daemon.log')

    def start(self, timeout=30):
        os.makedirs(self.root, exist_ok=True)
        mounts = []
        for name, path in PRIVATE.items():
            src = os.path.join(self.root, name)
            os.makedirs(src, exist_ok=True)
            # the mount point, empty, on the machine itself
            os.makedirs(path, exist_ok=True)
            mounts.append(f'mount --bind {src} {path}')
        etc = os.path.join(self.root, 'etc')
        with open(os.path.join(etc, 'libvirtd.conf'), 'w') as f:
            f.write(f'host_uuid = "{uuid.uuid4()}"\n')
        with open(os.path.join(etc, 'qemu.conf'), 'w') as f:
            f.write(QEMU_CONF)
        script = ' && '.join([
            *mounts, f'hostname {self.hostname}',
            # their pid files, in /run otherwise, are private too
            'virtlogd -d -p /run/libvirt/virtlogd.pid',
            'exec libvirtd -p /run/libvirt/libvirtd.pid'])
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(
                ['unshare', '--mount', '--uts', '--propagation', 'private',
                 'sh', '-c', script], stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            self._namespace()
            try:
                self.virsh('hostname')
                return
            except VirshError:
                if self.proc.poll() is not None or \
                   time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def virsh(self, *args, timeout=600):
        """virsh against this host; its output, or VirshError"""
        r = subprocess.run(['virsh', '-c', self.uri, *args],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise VirshError(f'virsh {" ".join(args)}: '
                             f'{r.stderr.strip() or r.stdout.strip()}')
        return r.stdout

    def qmp(self, dom, command, **arguments):
        """A QMP command through virsh qemu-monitor-command; its return"""
        cmd = {'execute': command}
        if arguments:
            cmd['arguments'] = arguments
        reply = json.loads(self.virsh('qemu-monitor-command', dom,
                                      json.dumps(cmd)))
        # virsh exits with 0 on a QMP error, and prints it
        if 'error' in reply:
            raise VirshError(f'{command}: {reply["error"]["desc"]}')
        return reply['return']

    def _namespace(self):
        """This host's mount namespace, once unshare has made it"""
        if self.ns is None and self.proc:
            try:
                ns = os.readlink(f'/proc/{self.proc.pid}/ns/mnt')
                if ns != os.readlink('/proc/self/ns/mnt'):
                    self.ns = ns
            except OSError:
                pass
        return self.ns

    def processes(self):
        """The pids in this host's mount namespace"""
        if self._namespace() is None:
            return [self.proc.pid] if self.proc else []
        pids = []
        for p in os.listdir('/proc'):
            if p.isdigit():
                try:
                    if os.readlink(f'/proc/{p}/ns/mnt') == self.ns:
                        pids.append(int(p))
                except OSError:
                    pass
        return pids

    def stop(self):
        """Kill every process of this host and wait for them to go"""
        pids = self.processes()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for p in pids:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while pids and time.monotonic() < deadline:
                if self.proc:
                    self.proc.poll()        # reap the daemon, our child
                pids = [p for p in pids if os.path.exists(f'/proc/{p}')]
                time.sleep(0.1)
        if self.proc:
            self.proc.wait()
            self.proc = None


def domain_xml(name, emulator, kernel, initrd, cmdline, mem_mb, serial,
               trace=()):
    """A guest booting @kernel and @initrd directly under TCG, with one
    vCPU, no devices but its serial port, appended to the file @serial
    (on the destination too), and QEMU's trace events @trace on its
    stderr, which libvirt logs with timestamps (-msg timestamp=on) to
    /var/log/libvirt/qemu/NAME.log"""
    args = ''.join(f"<qemu:arg value='-trace'/><qemu:arg value='{t}'/>"
                   for t in trace)
    return f'''<domain type='qemu'
    xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <memory unit='MiB'>{mem_mb}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
  <!-- without it, libvirt 9.0 passes -no-acpi, which QEMU 10.2 lacks -->
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{emulator}</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='{serial}' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>{args}</qemu:commandline>
</domain>
'''


def jobinfo(text):
    """virsh domjobinfo's output as a dict: numbers as numbers, with the
    unit they came in (ms, B, pages, ...) dropped but for sizes, which
    become bytes"""
    units = {'B': 1, 'KiB': 1024, 'MiB': 1024 ** 2, 'GiB': 1024 ** 3,
             'TiB': 1024 ** 4, 'B/s': 1, 'KiB/s': 1024,
             'MiB/s': 1024 ** 2, 'GiB/s': 1024 ** 3}
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if not sep:
            continue
        words = value.split()
        try:
            number = float(words[0])
        except (IndexError, ValueError):
            info[key.strip()] = value.strip()
            continue
        if len(words) > 1 and words[1] in units:
            number *= units[words[1]]
        info[key.strip()] = number
    return info


def migrate_args(dom, dst):
    """virsh's arguments that migrate @dom live to the Host @dst, over TCP
    on the loopback the two hosts share (no storage to copy: --unsafe)"""
    return ['migrate', '--live', '--unsafe', dom, dst.uri, 'tcp://127.0.0.1']


def wait_file(path, text, timeout, offset=0, count=1):
    """Whether the file @path has @text @count times past @offset within
    @timeout seconds"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, 'rb') as f:
                f.seek(offset)
                if f.read().count(text) >= count:
                    return True
        time.sleep(0.2)
    return False


def dirty_rate(host, dom, seconds, mode=None, timeout=120):
    """virsh domdirtyrate-calc, waited for; virsh domstats --dirtyrate"""
    args = ['domdirtyrate-calc', dom, '--seconds', str(seconds)]
    if mode:
        args += ['--mode', mode]
    host.virsh(*args)
    deadline = time.monotonic() + timeout
    while True:
        stats = dict(line.strip().split('=', 1) for line in
                     host.virsh('domstats', '--dirtyrate', dom).splitlines()
                     if '=' in line)
        if stats.get('dirtyrate.calc_status') == '2':
            return stats
        if time.monotonic() > deadline:
            raise VirshError(f'domdirtyrate-calc: no result in {timeout} s')
        time.sleep(0.2)
