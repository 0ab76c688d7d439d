/*
 * The migration thread's work per page, timed on the guest's memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/madvise.h"
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

/*
 * Pages with data per write, as QEMUFile flushes them (see
 * PRECOPY_FLUSH_PAGES), and bytes of its buffer, which zero pages fill
 */
#define PACE_FLUSH_PAGES 32
#define PACE_BUFFER_BYTES 32768
/* What the stream carries per pass: a few huge pages' worth */
#define PACE_STREAM_CHUNKS 8
#define PACE_STREAM_BYTES (PACE_STREAM_CHUNKS * DIRTY_PACE_CHUNK_BYTES)

/* The destination, as ram_load_precopy() handles a page */
typedef struct PaceReceiver {
    int fd;
    uint8_t *mem;
    size_t pages;
    size_t page_size;
    bool zero;              /* zero pages: a header and one byte each */
    /* what was read and not yet taken, as in a QEMUFile's buffer */
    uint8_t buf[PACE_BUFFER_BYTES];
    size_t pos;
    size_t end;
    /* ns each chunk of the memory took */
    int64_t chunk_ns[PACE_STREAM_CHUNKS];
} PaceReceiver;

static size_t pace_record(const PaceReceiver *r)
{
    return sizeof(uint64_t) + (r->zero ? 1 : r->page_size);
}

/* Fill @len bytes of @dst from @r's stream, read a buffer at a time */
static bool pace_get(PaceReceiver *r, uint8_t *dst, size_t len)
{
    while (len) {
        size_t n;

        if (r->pos == r->end) {
            ssize_t got = read(r->fd, r->buf, PACE_BUFFER_BYTES);

            if (got <= 0 && errno != EINTR) {
                return false;
            }
            r->pos = 0;
            r->end = MAX(0, got);
            continue;
        }
        n = MIN(len, r->end - r->pos);
        memcpy(dst, r->buf + r->pos, n);
        r->pos += n;
        dst += n;
        len -= n;
    }
    return true;
}

static void *pace_receive(void *opaque)
{
    PaceReceiver *r = opaque;
    size_t per_chunk = r->pages / PACE_STREAM_CHUNKS;
    int64_t start = get_clock();
    uint64_t header;
    uint8_t byte;
    size_t i;

    r->pos = r->end = 0;
    for (i = 0; i < r->pages; i++) {
        uint8_t *page = r->mem + i * r->page_size;

        if (i && !(i % per_chunk)) {
            int64_t now = get_clock();

            r->chunk_ns[i / per_chunk - 1] = now - start;
            start = now;
        }
        if (!pace_get(r, (uint8_t *)&header, sizeof(header))) {
            break;
        }
        if (!r->zero) {
            if (!pace_get(r, page, r->page_size)) {
                break;
            }
        } else if (!pace_get(r, &byte, 1)) {
            break;
        } else if (!buffer_is_zero(page, r->page_size)) {
            /* ram_handle_zero() */
            memset(page, 0, r->page_size);
        }
    }
    r->chunk_ns[PACE_STREAM_CHUNKS - 1] = get_clock() - start;
    return NULL;
}

/* Send @r->pages pages of @page, or zero pages, to @r over @fd; in ns */
static int64_t pace_send(int fd, PaceReceiver *r, const uint8_t *page)
{
    struct iovec iov[2 * PACE_FLUSH_PAGES];
    g_autofree uint8_t *buf = g_malloc0(PACE_BUFFER_BYTES);
    size_t per_write = r->zero ? PACE_BUFFER_BYTES / pace_record(r) :
                                 PACE_FLUSH_PAGES;
    uint64_t header = 0;
    QemuThread thread;
    int64_t start = get_clock();
    size_t i, j, n;

    for (j = 0; j < PACE_FLUSH_PAGES; j++) {
        iov[2 * j] = (struct iovec) { &header, sizeof(header) };
        iov[2 * j + 1] = (struct iovec) { (void *)page, r->page_size };
    }
    qemu_thread_create(&thread, "dirty-pace", pace_receive, r,
                       QEMU_THREAD_JOINABLE);
    for (i = 0; i < r->pages; i += n) {
        ssize_t sent;

        n = MIN(per_write, r->pages - i);
        if (r->zero) {
            sent = qemu_write_full(fd, buf, n * pace_record(r));
        } else {
            sent = iov_send(fd, iov, 2 * n, 0, n * pace_record(r));
        }
        if (sent < 0) {
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

/* The median of three passes of @r, against what the host's load adds */
static int64_t pace_median(int fd, PaceReceiver *r, const uint8_t *page)
{
    int64_t ns[3];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ns); i++) {
        ns[i] = pace_send(fd, r, page);
    }
    qsort(ns, ARRAY_SIZE(ns), sizeof(ns[0]), compare_ns);
    return ns[1];
}

/* The destination's memory, mapped anew as ram_block_add() maps it */
static uint8_t *pace_memory(void)
{
    uint8_t *mem = qemu_anon_ram_alloc(2 * PACE_STREAM_BYTES, NULL, false,
                                       false);

    if (mem) {
        qemu_madvise(mem, 2 * PACE_STREAM_BYTES, QEMU_MADV_HUGEPAGE);
    }
    return mem;
}

void dirty_pace_probe_stream(DirtyPaceProbe *probe, size_t page_size)
{
    g_autofree uint8_t *page = g_malloc(page_size);
    g_autofree PaceReceiver *data = g_new0(PaceReceiver, 1);
    g_autofree PaceReceiver *zero = g_new0(PaceReceiver, 1);
    int64_t fresh[PACE_STREAM_CHUNKS], warm;
    int fds[2];
    size_t i;

    memset(page, 0x5a, page_size);
    if (qemu_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
        return;
    }
    data->fd = zero->fd = fds[1];
    data->pages = zero->pages = PACE_STREAM_BYTES / page_size;
    data->page_size = zero->page_size = page_size;
    data->mem = pace_memory();
    zero->zero = true;
    if (data->mem) {
        zero->mem = data->mem + PACE_STREAM_BYTES;
        /* into new memory, then into the same again */
        pace_send(fds[0], data, page);
        memcpy(fresh, data->chunk_ns, sizeof(fresh));
        warm = pace_median(fds[0], data, page);
        probe->stream_ns += warm;
        probe->stream_pages += data->pages;
        /* each chunk a huge page or a few, faulted in fast or slow */
        probe->fresh_min_ns = INT64_MAX;
        for (i = 0; i < PACE_STREAM_CHUNKS; i++) {
            int64_t more = MAX(0, fresh[i] - warm / PACE_STREAM_CHUNKS);

            probe->fresh_ns += more;
            probe->fresh_min_ns = MIN(probe->fresh_min_ns, more);
            probe->fresh_max_ns = MAX(probe->fresh_max_ns, more);
        }
        probe->fresh_chunk_pages = data->pages / PACE_STREAM_CHUNKS;
        probe->zero_stream_ns += pace_median(fds[0], zero, page);
        probe->zero_stream_pages += zero->pages;
    }
    if (data->mem) {
        qemu_anon_ram_free(data->mem, 2 * PACE_STREAM_BYTES);
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
    uint64_t zero_stream = probe->zero_stream_pages ?
                           probe->zero_stream_ns / probe->zero_stream_pages :
                           0;

    *pace = (DirtyPace) {
        .zero_ns = (zero ?: data) + zero_stream,
        .page_ns = (data ?: zero) + stream,
    };
    if (probe->stream_pages) {
        pace->fresh_ns = probe->fresh_ns / probe->stream_pages;
        pace->min_fresh_ns = probe->fresh_min_ns / probe->fresh_chunk_pages;
        pace->max_fresh_ns = probe->fresh_max_ns / probe->fresh_chunk_pages;
    }
}
