/*
 * test_http.c
 *		The HTTP layer refuses unsafe requests (control characters in the
 *		URL or a header), sends the path as given, and fails a kept body
 *		that goes over its limit instead of cutting it short.
 *
 * A forked child on 127.0.0.1 plays the server: it answers one request
 * with the request's own head as the body, or with a large body.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct_host.h"
#include "ct_http.h"
#include "unit.h"

/* A server for one connection: mode 'e' echoes the request head, 'b' sends big bytes. */
static pid_t
serve_once(char mode, size_t big, int *port)
{
	int			ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	socklen_t	alen = sizeof(a);
	pid_t		pid;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *) &a, sizeof(a)) != 0 || listen(ls, 1) != 0)
		return -1;
	getsockname(ls, (struct sockaddr *) &a, &alen);
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid == 0)
	{
		char		head[8192];
		size_t		n = 0;
		int			c = accept(ls, NULL, NULL);
		char		line[256];

		alarm(20);
		while (n < sizeof(head) - 1)
		{
			ssize_t		r = read(c, head + n, sizeof(head) - 1 - n);

			if (r <= 0)
				break;
			n += r;
			head[n] = '\0';
			if (strstr(head, "\r\n\r\n"))
				break;
		}
		if (mode == 'e')
		{
			snprintf(line, sizeof(line), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", n);
			if (write(c, line, strlen(line)) < 0 || write(c, head, n) < 0)
				_exit(1);
		}
		else
		{
			char	   *chunk = calloc(1, 65536);

			memset(chunk, 'x', 65536);
			snprintf(line, sizeof(line), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", big);
			if (write(c, line, strlen(line)) < 0)
				_exit(1);
			for (size_t sent = 0; sent < big;)
			{
				ssize_t		w = write(c, chunk, big - sent < 65536 ? big - sent : 65536);

				if (w <= 0)
					break;
				sent += w;
			}
		}
		close(c);
		_exit(0);
	}
	close(ls);
	return pid;
}

static CtHttpReq *
run(CtHttp *http, CtHttpReq *req)
{
	if (!ct_http_start(http, req))
		return NULL;
	for (int i = 0; i < 200 && !req->done; i++)
		ct_http_poll(http, 100);
	while (ct_http_next_done(http))
		;
	return req;
}

/* Is a request to url with this header line (or none) refused? */
static bool
refused(const char *url, const char *header)
{
	CtHttpConfig cfg = {0};
	CtHttp	   *http = ct_http_create(&cfg);
	CtHttpReq  *req = ct_http_request(url);
	bool		r;

	if (header)
		ct_http_add_header(req, header);
	run(http, req);
	r = req->done && req->refused;
	ct_http_free(req);
	ct_http_destroy(http);
	return r;
}

static void
refusals(CtHttp *http)
{
	CtHttpReq  *req;

	unit_ok(ct_http_safe_value("AKIAIOSFODNN7EXAMPLE"), "a key id is a safe header value");
	unit_ok(!ct_http_safe_value("a\r\nX-Injected: 1"), "CR LF is not");
	unit_ok(!ct_http_safe_value("a\tb") && !ct_http_safe_value("a\x7f") && !ct_http_safe_value("\x01"),
			"nor tab, DEL or other control characters");

	/* port 9 on 127.0.0.1: nothing listens; a request that got that far would fail to connect */
	req = ct_http_request("http://127.0.0.1:9/bucket/key");
	ct_http_add_header(req, "x-amz-date: 20260101T000000Z");
	ct_http_add_header(req, "x-amz-security-token: s3cr3tvalue\r\nX-Injected: yes");
	run(http, req);
	unit_ok(req->done && req->refused && req->curl_code != 0 && req->status == 0,
			"a header value with CR LF is refused, the request finished at once");
	unit_ok(strstr(req->curl_error, "\"x-amz-security-token\"") != NULL,
			"the reason names the header");
	unit_ok(strstr(req->curl_error, "s3cr3t") == NULL && strstr(req->curl_error, "Injected") == NULL,
			"the reason does not show the value");
	ct_http_free(req);

	req = ct_http_request("http://127.0.0.1:9/bucket/key\r\nX-Injected: yes");
	run(http, req);
	unit_ok(req->refused && strstr(req->curl_error, "URL") != NULL, "a URL with CR LF is refused");
	ct_http_free(req);

	unit_ok(refused("http://127.0.0.1:9/bucket/a b", NULL), "a URL with a space is refused");
	unit_ok(refused("http://127.0.0.1:9/", "\r\nGET /smuggled HTTP/1.1: x"),
			"a header line without a name is refused");
	unit_ok(refused("http://127.0.0.1:9/", "Authorization: AWS4-HMAC-SHA256 Credential=AKIA\x01/x"),
			"a header value with another control character is refused");

	req = ct_http_request("http://127.0.0.1:9/");
	ct_http_add_header(req, "x-amz-date: 20260101T000000Z");
	run(http, req);
	unit_ok(req->done && !req->refused && req->curl_code != 0,
			"a clean request is sent (and fails to connect)");
	ct_http_free(req);
}

static void
on_the_wire(CtHttp *http)
{
	int			port;
	char		url[128];
	pid_t		pid;
	CtHttpReq  *req;

	pid = serve_once('e', 0, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b/AWSLogs/../x/./y.json.gz", port);
	req = ct_http_request(url);
	run(http, req);
	unit_ok(req->status == 200 && req->body.data &&
			strncmp(req->body.data, "GET /b/AWSLogs/../x/./y.json.gz HTTP/1.1\r\n", 42) == 0,
			"the path is sent as given, dot segments and all (the path that was signed)");
	ct_http_free(req);
	waitpid(pid, NULL, 0);

	pid = serve_once('b', 3 * 1024 * 1024 + 17, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b?list-type=2", port);
	req = ct_http_request(url);
	req->max_body = 1024 * 1024;
	run(http, req);
	unit_ok(req->done && req->curl_code != 0 && req->too_big,
			"a kept body over max_body fails the request");
	unit_ok(req->body.len <= 1024 * 1024, "and nothing past the limit was kept");
	unit_ok(strstr(req->curl_error, "larger than 1048576 bytes") != NULL, "the reason says so");
	ct_http_free(req);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	pid = serve_once('b', 900 * 1024, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b?list-type=2", port);
	req = ct_http_request(url);
	req->max_body = 1024 * 1024;
	run(http, req);
	unit_ok(req->curl_code == 0 && req->status == 200 && req->body.len == 900 * 1024 && !req->too_big,
			"a body under the limit is kept whole");
	ct_http_free(req);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	CtHttpConfig cfg = {0};
	CtHttp	   *http;

	cfg.connect_timeout_ms = 2000;
	cfg.stall_timeout_s = 10;
	http = ct_http_create(&cfg);
	refusals(http);
	on_the_wire(http);
	ct_http_destroy(http);
	return unit_done();
}
