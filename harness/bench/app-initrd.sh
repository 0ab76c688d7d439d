#!/bin/bash
# The benchmark's real-application workload: an initrd whose /init runs
# Debian's redis-server inside the guest and drives it forever with
# Debian's redis-benchmark (SET and GET on random keys), after printing
# "...: steady" once the keyspace is loaded.  Kernel command line:
# keys=N (default 250000) and value=BYTES (default 1024).  Needs
# busybox-static, redis-server, redis-tools and cpio (deps.sh --bench).
# Rebuilt only when missing or older than this script.
# Usage: app-initrd.sh OUT.img

set -euo pipefail

out=$1
[ "$out" -nt "$0" ] && exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,data}
cp /bin/busybox "$root/bin/"
# /usr/bin/redis-server is a link to redis-check-rdb: redis picks its
# mode from argv[0], so the copy must carry the server's name.
for b in redis-server redis-benchmark redis-cli; do
    cp -L "/usr/bin/$b" "$root/bin/$b"
done
for lib in $(ldd /usr/bin/redis-server /usr/bin/redis-benchmark /usr/bin/redis-cli |
             grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ip link set lo up
echo 1 >/proc/sys/vm/overcommit_memory
keys=250000 value=1024
for a in $(cat /proc/cmdline); do
    case $a in keys=*) keys=${a#keys=} ;; value=*) value=${a#value=} ;; esac
done
cd /data
redis-server --bind 127.0.0.1 --protected-mode no --save '' --appendonly no \
    --logfile /data/redis.log &
until redis-cli ping >/dev/null 2>&1; do sleep 1; done
# 2N random SETs fill ~86% of the keys (~280 MiB at the defaults); the
# load's SETs fill the rest within a minute or so.
redis-benchmark -t set -n $((keys * 2)) -r "$keys" -d "$value" -P 16 -q >/dev/null
mem=$(redis-cli info memory | sed -n 's/^used_memory_human:\([^\r]*\).*/\1/p')
echo "redis: SET+GET load on $keys keys of $value bytes, $mem: steady"
# Both at once, so the mix (and the dirty rate) does not swing between
# a SET phase and a GET phase.
while :; do
    redis-benchmark -t set -r "$keys" -d "$value" -n 100000000 -c 20 -P 8 -q
    sleep 1
done >/dev/null 2>&1 &
while :; do
    redis-benchmark -t get -r "$keys" -n 100000000 -c 20 -P 8 -q >/dev/null 2>&1
    sleep 1
done
EOF
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
