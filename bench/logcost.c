/*
 * What one log line costs a worker: Petrel's log_msg() (src/core/log.c)
 * with the per-request line the router wrote at info level until issue 16,
 * written to a file (as [logs] enable = On does) and to a file plus stderr
 * redirected to a file (as the test harness and a foreground run do), next
 * to the same call below the configured level (the cost of a line that is
 * filtered out). With 1 and 4 threads (Petrel's default), since every
 * written line takes the one log mutex.
 *
 *   logcost [--lines N] [--threads T]   (bench/run.sh with BENCH_ONLY=log)
 *
 * Prints one JSON line: nanoseconds of CPU (process CPU time / lines) and
 * of wall time per line for each case.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

static long lines = 200000;

static double
now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
writer(void *arg)
{
	long i, n = *(long *)arg;

	for (i = 0; i < n; i++)
		log_info("%s %.*s %d %llums", "POST", 16, "/api/MessageList",
		         200, (unsigned long long)(i & 7));
	return NULL;
}

/* ns of CPU and of wall time per line with t threads. */
static void
run(int t, double *cpu_ns, double *wall_ns)
{
	pthread_t th[16];
	long each = lines / t;
	double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID),
	       w0 = now_s(CLOCK_MONOTONIC);
	int i;

	for (i = 0; i < t; i++)
		pthread_create(&th[i], NULL, writer, &each);
	for (i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	*cpu_ns = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e9 /
	          (double)(each * t);
	*wall_ns = (now_s(CLOCK_MONOTONIC) - w0) * 1e9 / (double)(each * t);
}

int
main(int argc, char **argv)
{
	char path[] = "/tmp/petrel-logcost-XXXXXX";
	struct perr err;
	int threads = 4, i, fd;
	double c[6], w[6];
	static const char *const names[] = {"file_1t",        "file_nt",
	                                    "file_stderr_1t", "file_stderr_nt",
	                                    "filtered_1t",    "filtered_nt"};

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--lines") == 0)
			lines = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (lines < 1000 || threads < 1 || threads > 16) {
		fprintf(stderr, "logcost: --lines >= 1000, --threads 1..16\n");
		return 2;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		perror("logcost: mkstemp");
		return 1;
	}
	close(fd);
	/* stderr to the same scratch file: a terminal would measure the tty. */
	if (freopen(path, "a", stderr) == NULL)
		return 1;

	(void)log_open(path, false, false, LOG_LVL_INFO, &err);
	run(1, &c[0], &w[0]);
	run(threads, &c[1], &w[1]);
	(void)log_open(path, true, false, LOG_LVL_INFO, &err);
	run(1, &c[2], &w[2]);
	run(threads, &c[3], &w[3]);
	(void)log_open(path, true, false, LOG_LVL_WARN, &err);
	run(1, &c[4], &w[4]);
	run(threads, &c[5], &w[5]);
	log_close();
	unlink(path);

	printf("{\"lines\": %ld, \"threads\": %d", lines, threads);
	for (i = 0; i < 6; i++)
		printf(", \"%s_cpu_ns\": %.1f, \"%s_wall_ns\": %.1f", names[i],
		       c[i], names[i], w[i]);
	printf("}\n");
	return 0;
}
