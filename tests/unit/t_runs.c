/* t_runs.c: reading eval run directories back, and pairing two runs. */
#include <sys/stat.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "runs.h"
#include "unit.h"

#define SHA_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char *
mkrun(const char *name, const char *record, const char *log)
{
	static char dir[512];
	char file[600];

	snprintf(dir, sizeof(dir), "%s/%s", unit_tmpdir(), name);
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/run.json", name);
	unit_write(file, record);
	if (log != NULL) {
		snprintf(file, sizeof(file), "%s/log.jsonl", name);
		unit_write(file, log);
	}
	return dir;
}

static const char *
line(const char *subject, const char *id, int pass)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "{\"subject\":\"%s\",\"id\":\"%s\","
	    "\"question\":\"q %s\",\"expected\":\"1\",\"pass\":%s,"
	    "\"extracted\":\"%s\",\"time\":1700000000}\n", subject, id, id,
	    pass ? "true" : "false", pass ? "1" : "0");
	return buf[k];
}

TEST(runs_case_order)
{
	struct run_case a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.id = "m2";
	b.id = "m10";
	CHECK(run_case_cmp(&a, &b) < 0);
	CHECK(run_case_cmp(&b, &a) > 0);
	a.id = "m02";
	b.id = "m2";
	CHECK(run_case_cmp(&a, &b) != 0);	/* equal value, other ids */
	a.id = "gsm8k-9";
	b.id = "gsm8k-10";
	CHECK(run_case_cmp(&a, &b) < 0);
	a.id = "b";
	b.id = "a1";
	CHECK(run_case_cmp(&a, &b) > 0);
}

/*
 * The two sides from the log: a later line of a case wins (the judge's
 * verdict after the pending answer), the --ood domain's lines and a torn
 * last line are left out, and with several seeds the first seed shows.
 */
TEST(runs_read_log)
{
	struct run r;
	struct error *err;
	char *log;
	const char *dir;

	log = xasprintf("%s%s%s%s%s%s%s", line("adapter/code", "x1", 1),
	    "{\"subject\":\"adapter/seed=1\",\"id\":\"c2\",\"question\":\"q\","
	    "\"pending\":true,\"time\":1700000001}\n",
	    line("adapter/seed=1", "c2", 1), line("adapter/seed=1", "c1", 0),
	    line("adapter/seed=2", "c1", 1),
	    line("base/seed=1", "c10", 1),
	    "{\"subject\":\"base/seed=1\",\"id\":\"c1\",\"pass\":tr");
	dir = mkrun("seeds", "{\"adapter\":\"math\",\"version\":\"1.0.0\","
	    "\"benchmark_sha256\":\"" SHA_A "\",\"ood\":\"code sha256:00\","
	    "\"cases\":3,\"reread\":false,\"votes\":1,\"temperature\":0.7,"
	    "\"seed\":1,\"seeds\":[1,2]}", log);
	free(log);
	CHECK_OK(run_read(dir, NULL, &r));
	CHECK_STR(r.id, "seeds");
	CHECK_STR(r.settings, "RE2 off, one sample at 0.7, seeds 1 2");
	CHECK(!r.complete);
	CHECK_INT(r.time, 1700000000);
	CHECK_STR(r.adapter_side.label, "adapter/seed=1");
	CHECK_INT(r.adapter_side.n, 2);
	CHECK_STR(r.adapter_side.v[0].id, "c1");
	CHECK_STR(r.adapter_side.v[1].id, "c2");
	CHECK(r.adapter_side.v[1].pass && !r.adapter_side.v[1].pending);
	CHECK_INT(r.adapter_side.passed, 1);
	CHECK_STR(r.base_side.label, "base/seed=1");
	CHECK_INT(r.base_side.n, 1);
	CHECK_DBL(r.acc_adapter, 0.5, 1e-12);
	CHECK_DBL(r.acc_base, 1, 1e-12);
	run_release(&r);

	dir = mkrun("bad", "{\"adapter\":\"math\",\"version\":\"1\","
	    "\"benchmark_sha256\":\"sha256:12\",\"cases\":1}", NULL);
	err = run_read(dir, NULL, &r);
	CHECK(err != NULL && strstr(err->msg, "missing or bad "
	    "\"benchmark_sha256\"") != NULL);
	error_free(err);
	run_release(&r);
}

/* Cases are paired by id; unfinished and pending ones do not count. */
TEST(runs_pair)
{
	struct run a, b;
	struct runs_diff d;
	char *la, *lb;
	const char *rec = "{\"adapter\":\"math\",\"version\":\"1.0.0\","
	    "\"benchmark_sha256\":\"" SHA_A "\",\"cases\":4,\"seed\":42}";

	la = xasprintf("%s%s%s%s", line("adapter", "c1", 1),
	    line("adapter", "c2", 1), line("adapter", "c3", 0),
	    line("adapter", "c4", 1));
	lb = xasprintf("%s%s%s%s", line("adapter", "c1", 0),
	    line("adapter", "c2", 0), line("adapter", "c3", 1),
	    "{\"subject\":\"adapter\",\"id\":\"c4\",\"pending\":true}\n");
	CHECK_OK(run_read(mkrun("a", rec, la), NULL, &a));
	CHECK_OK(run_read(mkrun("b", rec, lb), NULL, &b));
	runs_diff(&a, &b, &d);
	CHECK_INT(d.n, 3);
	CHECK_INT(d.a_passed, 2);
	CHECK_INT(d.b_passed, 1);
	CHECK_INT(d.nonly_a, 2);
	CHECK_STR(d.only_a[0], "c1");
	CHECK_STR(d.only_a[1], "c2");
	CHECK_INT(d.nonly_b, 1);
	CHECK_STR(d.only_b[0], "c3");
	CHECK_DBL(d.p, 1, 1e-12);
	runs_diff_release(&d);
	run_release(&a);
	run_release(&b);
	free(la);
	free(lb);
}
