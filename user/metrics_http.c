// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_http.c - serves the last published metrics text at /metrics over
 * HTTP with libmicrohttpd (its own polling thread; no HTTP parsing here):
 * the listening socket, the request handler, and the text swapped under a
 * lock.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

struct la_metrics_http {
	struct MHD_Daemon *d;
	int fd;
	unsigned int port;
	pthread_mutex_t lock; /* text, len */
	char *text;	      /* NULL: nothing published yet */
	size_t len;
};

/* "HOST:PORT" or "[HOST]:PORT" split into host and port (in buf) */
static int split_addr(const char *addr, char *buf, size_t len, char **host,
		      char **port)
{
	char *colon;

	if (snprintf(buf, len, "%s", addr) >= (int)len)
		return -ENAMETOOLONG;
	colon = strrchr(buf, ':');
	if (!colon || colon == buf || !colon[1])
		return -EINVAL;
	*colon = 0;
	*port = colon + 1;
	*host = buf;
	if (buf[0] == '[') {
		if (colon[-1] != ']' || colon - buf < 3)
			return -EINVAL;
		colon[-1] = 0;
		*host = buf + 1;
	}
	return 0;
}

/* addr ("A.B.C.D:PORT", "[IPV6]:PORT") as a socket address: numeric only,
 * as a static binary has no name service */
static int parse_addr(const char *addr, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char buf[300], *host, *port, *end;
	unsigned long p;

	if (split_addr(addr, buf, sizeof(buf), &host, &port))
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535 || port[0] < '0' || port[0] > '9')
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	return 0;
}

int metrics_http__check_addr(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_addr(addr, &ss, &len);
}

/* a socket listening on addr, or -1 with the reason in err */
static int listen_on(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	if (parse_addr(addr, &ss, &len)) {
		snprintf(err, errlen,
			 "'%s' is not ADDR:PORT (a numeric IPv4 address or "
			 "[IPv6] address, and a port)",
			 addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 32)) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static unsigned int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     const char *type, const char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) ==
		    MHD_NO ||
	    (code == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
				     "GET, HEAD") == MHD_NO)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* /metrics: the text as published, copied under the lock */
static enum MHD_Result serve_metrics(struct la_metrics_http *s,
				     struct MHD_Connection *conn)
{
	static const char none[] = "no metrics yet: the first snapshot is "
				   "being taken\n";
	enum MHD_Result ret;

	pthread_mutex_lock(&s->lock);
	if (s->text)
		ret = reply(conn, MHD_HTTP_OK, LA_METRICS_CONTENT_TYPE, s->text,
			    s->len, MHD_RESPMEM_MUST_COPY);
	else
		ret = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			    none, sizeof(none) - 1, MHD_RESPMEM_PERSISTENT);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	static const char nf[] = "not found: lockaudit serves /metrics\n";
	static const char na[] = "method not allowed: GET or HEAD\n";
	static int started;

	(void)version;
	(void)upload;
	/* the first call is for the headers: answer on the next one */
	if (!*con_cls) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_len) { /* a body nobody asked for: read and ignored */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     na, sizeof(na) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", nf,
			     sizeof(nf) - 1, MHD_RESPMEM_PERSISTENT);
	return serve_metrics(cls, conn);
}

struct la_metrics_http *metrics_http__start(const char *addr, char *err,
					    size_t errlen)
{
	struct la_metrics_http *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fd = listen_on(addr, err, errlen);
	if (s->fd < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	s->port = bound_port(s->fd);
	s->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
				on_request, s, MHD_OPTION_LISTEN_SOCKET, s->fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "cannot start the HTTP server on %s",
			 addr);
		close(s->fd); /* a daemon that failed to start leaves it */
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

unsigned int metrics_http__port(const struct la_metrics_http *s)
{
	return s->port;
}

void metrics_http__publish(struct la_metrics_http *s, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = text;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

void metrics_http__stop(struct la_metrics_http *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d); /* closes the listening socket too */
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
