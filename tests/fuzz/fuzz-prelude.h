/*
 * fuzz-prelude.h - stands in for autoconfig.h when tests/fuzz/run.sh builds
 * the harnesses straight from the src/ sources, without running configure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#define PACKAGE "udp-replyd"
#define PACKAGE_NAME "udp-replyd"
#define PACKAGE_VERSION "1.0.0"
#define PACKAGE_STRING "udp-replyd 1.0.0"
#define PACKAGE_TARNAME "udp-replyd"
#define VERSION "1.0.0"
#define SYSCONFDIR "/etc"
