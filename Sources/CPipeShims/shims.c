// GNU extensions that `import Glibc` does not show to Swift.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <fcntl.h>
#ifdef __linux__
#include <linux/falloc.h>
#endif
#include <stddef.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif
#include "CPipeShims.h"

const char *cpipes_glibc_version(void) {
#ifdef __GLIBC__
  return gnu_get_libc_version();
#else
  return NULL;
#endif
}

const char *cpipes_object_path(const void *address) {
  Dl_info info;
  if (dladdr(address, &info) == 0) return NULL;
  return info.dli_fname;
}

int cpipes_o_direct(void) {
#ifdef O_DIRECT
  return O_DIRECT;
#else
  return 0;
#endif
}

int cpipes_punch_hole(int fd, long long offset, long long length) {
#if defined(FALLOC_FL_PUNCH_HOLE) && defined(FALLOC_FL_KEEP_SIZE)
  return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
#else
  errno = EOPNOTSUPP;
  return -1;
#endif
}

int cpipes_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cpipes_spawn_close_from(void *actions, int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, lowest);
#else
  (void)actions;
  (void)lowest;
  return ENOSYS;
#endif
}

/* A marker and 32 NUL bytes that `make build` overwrites in the linked binary with the commit
 * (packaging/stamp-commit), so a new commit changes no compiler flag and rebuilds nothing. */
__attribute__((used)) static const char commit_stamp[20 + 32 + 1] = "cpipes-commit-stamp:";

const char *cpipes_build_commit(void) {
  return commit_stamp + 20;
}
