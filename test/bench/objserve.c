/*-------------------------------------------------------------------------
 *
 * objserve.c
 *		A fast object server for the benchmarks: S3 GETs from the disk.
 *
 * The emulator (test/emulator/ctemu.py) is a Python server on the same two
 * cores as the backend it serves, and at a few hundred GETs a second it
 * becomes the bottleneck of the S3 rows.  This server answers GET of an
 * object of the emulator's data directory (path-style URL, no query) with
 * sendfile(2) from one epoll loop, and hands every other request (listings,
 * missing keys, the control API) to the emulator, each on a thread of its
 * own.  Signatures are not checked.  Range and If-Match are honoured, as a
 * resumed transfer sends them.
 *
 *   objserve --data DIR --port PORT --upstream EMULATOR_PORT [--latency-ms N]
 *
 * --latency-ms delays every answer, its own and the emulator's, by N ms, as
 * the emulator's latency control does.  GET /_objserve/count answers how
 * many GETs it served itself and how many requests it passed on.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		test/bench/objserve.c
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 4096
#define REQ_MAX 65536

typedef enum
{
	C_FREE,
	C_READ,						/* reading a request */
	C_WAIT,						/* answer ready, held for the latency */
	C_SEND,						/* sending head, then the file */
	C_AWAY						/* on a proxy thread */
} ConnState;

typedef struct Conn
{
	ConnState	state;
	char		req[REQ_MAX];
	size_t		len;
	char		head[512];
	size_t		head_len,
				head_off;
	int			file;
	off_t		off,
				end;
	double		ready_at;
} Conn;

static Conn *conns;
static const char *data_dir;
static int	upstream_port;
static double latency;
static int	ep,
			back_pipe[2],
			hi_fd;			/* highest connection fd so far */
static long served,
			passed;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void
set_blocking(int fd, bool on)
{
	int			fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

static void
close_conn(int fd)
{
	Conn	   *c = &conns[fd];

	if (c->state == C_SEND && c->file >= 0)
		close(c->file);
	c->state = C_FREE;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void
watch(int fd, uint32_t events, int op)
{
	struct epoll_event e = {.events = events, .data.fd = fd};

	epoll_ctl(ep, op, fd, &e);
}

/* The value of header name in the request head, into out; false if none. */
static bool
header(const char *req, const char *name, char *out, size_t outlen)
{
	size_t		n = strlen(name);

	for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n"))
	{
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
		{
			const char *v = p + 3 + n,
					   *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int) (e - v), v);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ the proxy */

typedef struct Away
{
	int			fd;
	char	   *req;
	size_t		len;
} Away;

static bool
write_all(int fd, const char *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		w = write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t) w;
	}
	return true;
}

/*
 * Pass one request on to the emulator and its answer back, blocking; then
 * give the connection back to the loop (or close it if anything failed).
 */
static void *
proxy(void *arg)
{
	Away	   *a = arg;
	int			up = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(upstream_port)};
	char		v[64];
	char	   *head_end = strstr(a->req, "\r\n\r\n");
	size_t		body = header(a->req, "Content-Length", v, sizeof(v)) ? strtoul(v, NULL, 10) : 0;
	size_t		want = (size_t) (head_end + 4 - a->req) + body;
	char	   *resp = malloc(1 << 20);
	size_t		cap = 1 << 20,
				rlen = 0;
	bool		ok = false;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	set_blocking(a->fd, true);
	if (latency > 0)
		usleep((useconds_t) (latency * 1e6));
	/* the rest of a body */
	while (a->len < want)
	{
		ssize_t		r;

		a->req = realloc(a->req, want);
		r = read(a->fd, a->req + a->len, want - a->len);
		if (r <= 0)
			goto done;
		a->len += (size_t) r;
	}
	if (connect(up, (struct sockaddr *) &sa, sizeof(sa)) != 0 || !write_all(up, a->req, want))
		goto done;
	/* the answer: its head, then Content-Length bytes (or to the close) */
	for (;;)
	{
		ssize_t		r;
		char	   *he;

		if (rlen == cap)
			resp = realloc(resp, cap *= 2);
		r = read(up, resp + rlen, cap - rlen);
		if (r < 0)
			goto done;
		rlen += (size_t) r;
		resp[rlen < cap ? rlen : cap - 1] = '\0';
		if ((he = strstr(resp, "\r\n\r\n")) != NULL)
		{
			size_t		total = (size_t) (he + 4 - resp);

			if (header(resp, "Content-Length", v, sizeof(v)))
				total += strtoul(v, NULL, 10);
			else if (r != 0)
				continue;
			else
				total = rlen;
			while (rlen < total)
			{
				if (rlen == cap)
					resp = realloc(resp, cap *= 2);
				r = read(up, resp + rlen, cap - rlen);
				if (r <= 0)
					goto done;
				rlen += (size_t) r;
			}
			ok = write_all(a->fd, resp, total);
			break;
		}
		if (r == 0)
			goto done;
	}
done:
	close(up);
	free(resp);
	free(a->req);
	set_blocking(a->fd, false);
	{
		int			msg[2] = {a->fd, ok};

		if (write(back_pipe[1], msg, sizeof(msg)) != sizeof(msg))
			abort();
	}
	free(a);
	return NULL;
}

static void
send_away(int fd)
{
	Conn	   *c = &conns[fd];
	Away	   *a = malloc(sizeof(Away));
	pthread_t	t;

	a->fd = fd;
	a->req = malloc(c->len + 1);
	memcpy(a->req, c->req, c->len);
	a->req[c->len] = '\0';
	a->len = c->len;
	c->state = C_AWAY;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	passed++;
	pthread_create(&t, NULL, proxy, a);
	pthread_detach(t);
}

/* ------------------------------------------------------------ own GETs */

/*
 * A GET of a file of the data directory: its answer is made ready in c, to
 * go after the latency.  False: not one of ours, for the emulator.
 */
static bool
own_get(int fd)
{
	Conn	   *c = &conns[fd];
	char		path[4096],
				range[128],
				match[128],
				etag[64];
	char	   *sp,
			   *uri = c->req + 4;
	struct stat st;
	long long	first = 0,
				last;
	int			f;
	const char *status = "200 OK";
	char		crange[128] = "";

	if (strncmp(c->req, "GET /", 5) != 0 || (sp = strchr(uri, ' ')) == NULL)
		return false;
	if (strncmp(uri, "/_objserve/count ", 17) == 0)
	{
		char		body[64];
		int			n = snprintf(body, sizeof(body), "%ld %ld\n", served, passed);

		c->head_len = (size_t) snprintf(c->head, sizeof(c->head),
										"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
										"Content-Length: %d\r\n\r\n%s", n, body);
		c->head_off = 0;
		c->file = -1;
		c->off = c->end = 0;
		return true;
	}
	*sp = '\0';
	if (strchr(uri, '?') || strchr(uri, '%') || strstr(uri, "/.."))
	{
		*sp = ' ';
		return false;
	}
	snprintf(path, sizeof(path), "%s/s3%s", data_dir, uri);
	*sp = ' ';
	if ((f = open(path, O_RDONLY)) < 0)
		return false;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode))
	{
		close(f);
		return false;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (long long) st.st_size, (long long) st.st_mtime);
	last = st.st_size - 1;
	if (header(c->req, "If-Match", match, sizeof(match)) && strcmp(match, etag) != 0)
	{
		close(f);
		return false;			/* the emulator says 412 its own way */
	}
	if (header(c->req, "Range", range, sizeof(range)) && strncmp(range, "bytes=", 6) == 0)
	{
		char	   *dash = strchr(range + 6, '-');

		first = atoll(range + 6);
		if (dash && dash[1])
			last = atoll(dash + 1) < last ? atoll(dash + 1) : last;
		if (first >= st.st_size)
		{
			close(f);
			return false;
		}
		status = "206 Partial Content";
		snprintf(crange, sizeof(crange), "Content-Range: bytes %lld-%lld/%lld\r\n",
				 first, last, (long long) st.st_size);
	}
	c->head_len = (size_t) snprintf(c->head, sizeof(c->head),
									"HTTP/1.1 %s\r\nContent-Type: application/octet-stream\r\n"
									"Content-Length: %lld\r\nETag: %s\r\nAccept-Ranges: bytes\r\n"
									"Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n%s\r\n",
									status, last - first + 1, etag, crange);
	c->head_off = 0;
	c->file = f;
	c->off = first;
	c->end = last + 1;
	served++;
	return true;
}

/* Send what can go now; false when the connection is done for. */
static bool
push(int fd)
{
	Conn	   *c = &conns[fd];

	while (c->head_off < c->head_len)
	{
		ssize_t		w = write(fd, c->head + c->head_off, c->head_len - c->head_off);

		if (w < 0)
			return errno == EAGAIN;
		c->head_off += (size_t) w;
	}
	while (c->off < c->end)
	{
		ssize_t		w = sendfile(fd, c->file, &c->off, (size_t) (c->end - c->off));

		if (w < 0)
			return errno == EAGAIN;
		if (w == 0)
			return false;
	}
	if (c->file >= 0)
		close(c->file);
	c->file = -1;
	c->state = C_READ;
	c->len = 0;
	watch(fd, EPOLLIN, EPOLL_CTL_MOD);
	return true;
}

static void
start_send(int fd)
{
	conns[fd].state = C_SEND;
	watch(fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
	if (!push(fd))
		close_conn(fd);
}

/* Bytes came on fd: a whole request head starts its answer. */
static void
readable(int fd)
{
	Conn	   *c = &conns[fd];
	ssize_t		r;

	if (c->state != C_READ)
		return;
	r = read(fd, c->req + c->len, REQ_MAX - 1 - c->len);
	if (r <= 0)
	{
		if (r == 0 || errno != EAGAIN)
			close_conn(fd);
		return;
	}
	c->len += (size_t) r;
	c->req[c->len] = '\0';
	if (!strstr(c->req, "\r\n\r\n"))
	{
		if (c->len >= REQ_MAX - 1)
			close_conn(fd);
		return;
	}
	if (!own_get(fd))
	{
		send_away(fd);
		return;
	}
	if (latency > 0)
	{
		c->state = C_WAIT;
		c->ready_at = now() + latency;
		watch(fd, 0, EPOLL_CTL_MOD);
	}
	else
		start_send(fd);
}

int
main(int argc, char **argv)
{
	int			port = 0,
				lfd,
				one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct epoll_event evs[256];

	for (int i = 1; i + 1 < argc; i += 2)
	{
		if (strcmp(argv[i], "--data") == 0)
			data_dir = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--upstream") == 0)
			upstream_port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--latency-ms") == 0)
			latency = atof(argv[i + 1]) / 1000.0;
	}
	if (!data_dir || !port || !upstream_port)
	{
		fprintf(stderr, "usage: objserve --data DIR --port PORT --upstream PORT [--latency-ms N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(MAX_CONN, sizeof(Conn));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) != 0 || listen(lfd, 1024) != 0)
	{
		perror("objserve: bind");
		return 1;
	}
	set_blocking(lfd, false);
	if (pipe(back_pipe) != 0)
		return 1;
	ep = epoll_create1(0);
	watch(lfd, EPOLLIN, EPOLL_CTL_ADD);
	watch(back_pipe[0], EPOLLIN, EPOLL_CTL_ADD);
	for (;;)
	{
		double		t = now(),
					next = t + 1;
		int			n;

		/* answers whose latency is up */
		for (int fd = 0; fd <= hi_fd; fd++)
			if (conns[fd].state == C_WAIT)
			{
				if (conns[fd].ready_at <= t)
					start_send(fd);
				else if (conns[fd].ready_at < next)
					next = conns[fd].ready_at;
			}
		n = epoll_wait(ep, evs, 256, (int) ((next - t) * 1000) + 1);
		for (int i = 0; i < n; i++)
		{
			int			fd = evs[i].data.fd;

			if (fd == lfd)
			{
				int			cfd;

				while ((cfd = accept(lfd, NULL, NULL)) >= 0)
				{
					if (cfd >= MAX_CONN)
					{
						close(cfd);
						continue;
					}
					if (cfd > hi_fd)
						hi_fd = cfd;
					set_blocking(cfd, false);
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[cfd].state = C_READ;
					conns[cfd].len = 0;
					conns[cfd].file = -1;
					watch(cfd, EPOLLIN, EPOLL_CTL_ADD);
				}
			}
			else if (fd == back_pipe[0])
			{
				int			msg[2];

				if (read(back_pipe[0], msg, sizeof(msg)) == sizeof(msg))
				{
					conns[msg[0]].state = C_READ;
					conns[msg[0]].len = 0;
					watch(msg[0], EPOLLIN, EPOLL_CTL_ADD);
					if (!msg[1])
						close_conn(msg[0]);
				}
			}
			else if (conns[fd].state == C_SEND && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			{
				if (!push(fd))
					close_conn(fd);
			}
			else if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				readable(fd);
		}
	}
	return 0;
}
