/*
 * banned.h: functions that are too easy to misuse.  Including this header
 * after the system headers turns each use into a compile error (git does the
 * same).  Use strbuf, snprintf/xasprintf and strtol/strtod with range checks.
 */
#ifndef LOCO_BANNED_H
#define LOCO_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_loco

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atof
#define atof(x) BANNED(atof)
#undef gets
#define gets(x) BANNED(gets)

#endif
