/*
 * unit.h: a tiny unit-test harness.  Each TEST registers itself at start-up;
 * tests/unit/main.c runs them (optionally those whose name contains argv[1])
 * and ends with the line "N passed, N failed".
 */
#ifndef LOCO_UNIT_H
#define LOCO_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char		*file;
	const char		*name;
	void			(*fn)(void);
	struct unit_test	*next;
};

void	unit_register(struct unit_test *);
void	unit_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A fresh temporary directory for the current test (removed afterwards). */
const char *unit_tmpdir(void);
/* Write text to unit_tmpdir()/name and return the path (static buffer). */
const char *unit_write(const char *name, const char *text);

#define TEST(fn)							\
	static void fn(void);						\
	static struct unit_test fn##_entry = { __FILE__, #fn, fn, NULL }; \
	__attribute__((constructor)) static void fn##_register(void)	\
	{ unit_register(&fn##_entry); }					\
	static void fn(void)

#define CHECK(cond) do {						\
	if (!(cond))							\
		unit_fail(__FILE__, __LINE__, "%s", #cond);		\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		unit_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
		    #a, a_, b_);					\
} while (0)

#define CHECK_DBL(a, b, eps) do {					\
	double a_ = (double)(a), b_ = (double)(b);			\
	if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))			\
		unit_fail(__FILE__, __LINE__, "%s == %.9g, expected %.9g", \
		    #a, a_, b_);					\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp(a_, b_) != 0)	\
		unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
		    #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");	\
} while (0)

/* err is a struct error *: expect success (and free nothing). */
#define CHECK_OK(err) do {						\
	struct error *e_ = (err);					\
	if (e_ != NULL) {						\
		unit_fail(__FILE__, __LINE__, "%s failed: %s", #err, e_->msg); \
		error_free(e_);						\
	}								\
} while (0)

/* Expect an error whose message equals want; frees it. */
#define CHECK_ERR(err, want) do {					\
	struct error *e_ = (err);					\
	if (e_ == NULL)							\
		unit_fail(__FILE__, __LINE__, "%s succeeded, expected \"%s\"", \
		    #err, (want));					\
	else {								\
		if (strcmp(e_->msg, (want)) != 0)			\
			unit_fail(__FILE__, __LINE__,			\
			    "%s: \"%s\", expected \"%s\"", #err, e_->msg, (want)); \
		error_free(e_);						\
	}								\
} while (0)

#endif
