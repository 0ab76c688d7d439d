/*
 * The migration thread's work per page, timed on the guest's memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/madvise.h"
#include "qemu/memalign.h"
#include "qemu/iov.h"
#include "qemu/sockets.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "dirty-pace.h"

unsigned dirty_pace_chunks(uint64_t bytes, uint64_t total)
{
    assert(bytes <= total);
    if (bytes < DIRTY_PACE_CHUNK_BYTES) {
        return 0;
    }
    return DIV_ROUND_UP(DIRTY_PACE_CHUNKS * bytes, total);
}

/*
 * Read the @n pages at @p as save_zero_page() does, each checked for
 * zeros.  Runs of pages of one kind are timed together, to keep the
 * clock's own cost out.
 */
static void probe_pages(DirtyPaceProbe *probe, const uint8_t *p, uint64_t n,
                        size_t page_size)
{
    int64_t start = get_clock();
    bool run_zero = false;
    uint64_t i, run = 0;

    for (i = 0; i <= n; i++, p += page_size) {
        bool zero = i < n && buffer_is_zero(p, page_size);

        if (i == n || (run && zero != run_zero)) {
            int64_t now = get_clock();

            *(run_zero ? &probe->zero_ns : &probe->data_ns) += now - start;
            *(run_zero ? &probe->zero_pages : &probe->data_pages) += run;
            start = now;
            run = 0;
        }
        run_zero = zero;
        run++;
    }
}

void dirty_pace_probe_memory(DirtyPaceProbe *probe, const void *host,
                             uint64_t pages, size_t page_size,
                             unsigned chunks, GRand *rand)
{
    uint64_t per_chunk = MAX(1, DIRTY_PACE_CHUNK_BYTES / page_size);
    uint64_t nr_chunks = pages / per_chunk;
    unsigned i;

    for (i = 0; i < chunks && nr_chunks; i++) {
        uint64_t c = ((uint64_t)g_rand_int(rand) << 32 | g_rand_int(rand)) %
                     nr_chunks;

        probe_pages(probe, (const uint8_t *)host + c * per_chunk * page_size,
                    per_chunk, page_size);
    }
}

/* Pages per write, as QEMUFile flushes them: see PRECOPY_FLUSH_PAGES */
#define PACE_FLUSH_PAGES 32

/* The destination: what it receives, read and copied into its memory */
typedef struct PaceReceiver {
    int fd;
    uint8_t *mem;
    size_t pages;
    size_t page_size;
} PaceReceiver;

static void *pace_receive(void *opaque)
{
    PaceReceiver *r = opaque;
    size_t record = sizeof(uint64_t) + r->page_size;
    g_autofree uint8_t *buf = g_malloc(record);
    size_t i, got;

    for (i = 0; i < r->pages; i++) {
        for (got = 0; got < record; ) {
            ssize_t n = read(r->fd, buf + got, record - got);

            if (n <= 0 && errno != EINTR) {
                return NULL;
            }
            got += MAX(0, n);
        }
        memcpy(r->mem + i * r->page_size, buf + sizeof(uint64_t),
               r->page_size);
    }
    return NULL;
}

/* Send @r->pages pages of @page to @r over @fd; the ns it took */
static int64_t pace_send(int fd, PaceReceiver *r, const uint8_t *page)
{
    struct iovec iov[2 * PACE_FLUSH_PAGES];
    uint64_t header = 0;
    QemuThread thread;
    int64_t start = get_clock();
    size_t i, n;

    qemu_thread_create(&thread, "dirty-pace", pace_receive, r,
                       QEMU_THREAD_JOINABLE);
    for (i = 0; i < r->pages; i += n) {
        size_t j;

        n = MIN(PACE_FLUSH_PAGES, r->pages - i);
        for (j = 0; j < n; j++) {
            iov[2 * j] = (struct iovec) { &header, sizeof(header) };
            iov[2 * j + 1] = (struct iovec) { (void *)page, r->page_size };
        }
        if (iov_send(fd, iov, 2 * n, 0, n * (sizeof(header) +
                                             r->page_size)) < 0) {
            break;
        }
    }
    qemu_thread_join(&thread);
    return get_clock() - start;
}

static int compare_ns(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

void dirty_pace_probe_stream(DirtyPaceProbe *probe, size_t page_size)
{
    g_autofree uint8_t *page = g_malloc(page_size);
    PaceReceiver r = {
        .pages = DIRTY_PACE_CHUNK_BYTES / page_size,
        .page_size = page_size,
    };
    /* into new memory, then three times into the same */
    int64_t ns[4];
    int fds[2];
    size_t pass;

    memset(page, 0x5a, page_size);
    if (qemu_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
        return;
    }
    r.fd = fds[1];
    r.mem = qemu_try_memalign(DIRTY_PACE_CHUNK_BYTES, DIRTY_PACE_CHUNK_BYTES);
    if (r.mem) {
        /* backed as guest memory is, in huge pages where the host has them */
        qemu_madvise(r.mem, DIRTY_PACE_CHUNK_BYTES, QEMU_MADV_HUGEPAGE);
        for (pass = 0; pass < ARRAY_SIZE(ns); pass++) {
            ns[pass] = pace_send(fds[0], &r, page);
        }
        qemu_vfree(r.mem);
        /* the median of the three, against what the host's load adds */
        qsort(ns + 1, ARRAY_SIZE(ns) - 1, sizeof(ns[0]), compare_ns);
        probe->stream_pages += r.pages;
        probe->stream_ns += ns[2];
        probe->fresh_ns += MAX(0, ns[0] - ns[2]);
    }
    close(fds[0]);
    close(fds[1]);
}

void dirty_pace_result(const DirtyPaceProbe *probe, DirtyPace *pace)
{
    uint64_t zero = probe->zero_pages ?
                    DIV_ROUND_UP(probe->zero_ns, probe->zero_pages) : 0;
    uint64_t data = probe->data_pages ?
                    DIV_ROUND_UP(probe->data_ns, probe->data_pages) : 0;

    uint64_t stream = probe->stream_pages ?
                      probe->stream_ns / probe->stream_pages : 0;

    *pace = (DirtyPace) {
        .zero_ns = zero ?: data,
        .page_ns = (data ?: zero) + stream,
        .fresh_ns = probe->stream_pages ?
                    probe->fresh_ns / probe->stream_pages : 0,
    };
}
