/*
 * bypasses.h: Python endings that make a program exit 0 without its tests
 * having passed (issue #15), for the code_execution tests (t_score.c
 * defines them, t_humaneval.c runs them on HumanEval too).  Each follows
 * a wrong function; none may pass.
 */
#ifndef LOCO_BYPASSES_H
#define LOCO_BYPASSES_H

#include <stddef.h>

extern const char *const code_bypasses[];
extern const size_t code_nbypasses;

#endif
