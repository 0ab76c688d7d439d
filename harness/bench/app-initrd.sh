#!/bin/bash
# The benchmarks' real applications, each an initrd whose /init runs one
# from Debian inside the guest and drives it with its own load generator,
# after printing "...: steady" once the application's data is loaded.
#
#   redis       redis-server, driven by redis-benchmark (SET and GET on
#               random keys, both at once): keys=N (default 250000) of
#               value=BYTES (default 1024); make bench's workload
#   memcached   memcached with 600 MiB of cache, filled with 300000 items
#               of 1 KiB, then driven by memaslap (libmemcached-tools)
#               at tps=N operations per second (default 10000), 30% SETs
#   postgres    PostgreSQL 15: a pgbench database of scale=N (default 10,
#               about 160 MiB, in tmpfs), 192 MiB of shared_buffers,
#               driven by pgbench's TPC-B-like transactions at rate=N
#               per second (default 300)
#
# memcached and PostgreSQL are make bench-oos's, the applications the
# model was not corrected on (bench_oos.py).  Needs busybox-static and
# cpio, and redis-server and redis-tools, memcached and
# libmemcached-tools, or postgresql-15 (deps.sh --bench, --oos).
# Rebuilt only when missing or older than this script.
# Usage: app-initrd.sh APP OUT.img

set -euo pipefail

app=$1
out=$2
[ "$out" -nt "$0" ] && exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,data,etc}
cp /bin/busybox "$root/bin/"
printf 'root:x:0:0::/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# copy_bins DIR FILE...: the programs into DIR, with the libraries they
# need
copy_bins() {
    local dir=$root$1 b lib
    shift
    mkdir -p "$dir"
    for b in "$@"; do
        cp -L "$b" "$dir/$(basename "$b")"
    done
    for lib in $(ldd "$@" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# The part of /init every application shares
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm
mount -t tmpfs tmpfs /dev/shm
ip link set lo up
echo 1 >/proc/sys/vm/overcommit_memory
arg() {
    for a in $(cat /proc/cmdline); do
        case $a in "$1"=*) echo "${a#*=}"; return ;; esac
    done
    echo "$2"
}
EOF

case $app in
redis)
    # /usr/bin/redis-server is a link to redis-check-rdb: redis picks its
    # mode from argv[0], so the copy must carry the server's name.
    copy_bins /bin /usr/bin/redis-server /usr/bin/redis-benchmark \
        /usr/bin/redis-cli
    cat >>"$root/init" <<'EOF'
keys=$(arg keys 250000)
value=$(arg value 1024)
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
    ;;
memcached)
    copy_bins /bin /usr/bin/memcached /usr/bin/memcaslap
    printf 'key\n64 64 1\nvalue\n1024 1024 1\ncmd\n0 1\n1 0\n' \
        >"$root/etc/fill.cfg"
    printf 'key\n64 64 1\nvalue\n1024 1024 1\ncmd\n0 0.3\n1 0.7\n' \
        >"$root/etc/load.cfg"
    cat >>"$root/init" <<'EOF'
tps=$(arg tps 10000)
memcached -u root -m 600 -l 127.0.0.1 -p 11211 -t 1 &
until echo version | nc -w 1 127.0.0.1 11211 >/dev/null 2>&1; do sleep 1; done
load="-s 127.0.0.1:11211 -T 1 -c 16 -w 16k"
memcaslap $load -F /etc/fill.cfg -x 300000 >/dev/null 2>&1
items=$(echo stats | nc -w 1 127.0.0.1 11211 | sed -n 's/^STAT curr_items \([0-9]*\).*/\1/p')
echo "memcached: $tps operations/s on $items items: steady"
while :; do
    memcaslap $load -F /etc/load.cfg -P "$tps" -t 100h >/dev/null 2>&1
    sleep 1
done
EOF
    ;;
postgres)
    pg=/usr/lib/postgresql/15
    # where they were built to find each other and their files
    copy_bins $pg/bin $pg/bin/postgres $pg/bin/initdb $pg/bin/pg_ctl \
        $pg/bin/pgbench
    mkdir -p "$root$pg/lib" "$root/usr/share/postgresql" \
        "$root/usr/share/zoneinfo"
    cp $pg/lib/plpgsql.so $pg/lib/dict_snowball.so "$root$pg/lib/"
    cp -r /usr/share/postgresql/15 "$root/usr/share/postgresql/"
    rm -rf "$root/usr/share/postgresql/15/man"
    cp /usr/share/zoneinfo/UTC "$root/usr/share/zoneinfo/"
    # postgres runs as an unprivileged user
    printf 'postgres:x:100:100::/data:/bin/sh\n' >>"$root/etc/passwd"
    printf 'postgres:x:100:\n' >>"$root/etc/group"
    cat >>"$root/init" <<'EOF'
scale=$(arg scale 10)
rate=$(arg rate 300)
export TZ=UTC PGHOST=/tmp PGUSER=postgres
mount -t tmpfs -o size=700m tmpfs /data
chown postgres:postgres /data /tmp
export PATH=/usr/lib/postgresql/15/bin:$PATH
as_pg() { su postgres -s /bin/sh -c "export PATH=$PATH TZ=UTC PGHOST=/tmp; $*"; }
as_pg "initdb -D /data/db -U postgres --locale=C -E UTF8 --no-sync" \
    >/dev/null &&
as_pg "pg_ctl -D /data/db -l /data/log -w \
    -o '-c shared_buffers=192MB -c fsync=off -c max_wal_size=96MB \
        -c unix_socket_directories=/tmp -c listen_addresses=' start" \
    >/dev/null &&
as_pg "pgbench -i -q -s $scale postgres" >/dev/null 2>&1 ||
    { echo "postgres: did not start"; cat /data/log; exec sleep 100000; }
echo "postgres: pgbench scale $scale at $rate transactions/s: steady"
while :; do
    as_pg "pgbench -n -c 4 -j 1 -R $rate -T 360000 postgres" >/dev/null 2>&1
    sleep 1
done
EOF
    ;;
*)
    echo "app-initrd: unknown application $app" >&2
    exit 1
    ;;
esac
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
