/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* lib/version.h - the version of shrinktrace (--version, shrinktrace_build_info). */
#ifndef ST_VERSION_H
#define ST_VERSION_H

#define ST_VERSION "0.1"

#endif /* ST_VERSION_H */
