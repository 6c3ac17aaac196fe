#ifndef CPIPESHIMS_H
#define CPIPESHIMS_H

/// The running C library's version ("2.36"), or NULL when it is not glibc.
/// The corresponding C function is gnu_get_libc_version.
const char *cpipes_glibc_version(void);

/// The path of the shared object that holds `address`, or NULL.
/// The corresponding C function is dladdr.
const char *cpipes_object_path(const void *address);

/// The open(2) flag for direct I/O around the page cache (O_DIRECT), or 0 where there is none.
int cpipes_o_direct(void);

/// Frees the bytes `offset..<offset+length` of `fd`'s file, keeping its size; they read as
/// zeros afterwards. 0 or -1 with errno. The corresponding C function is fallocate with
/// FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.
int cpipes_punch_hole(int fd, long long offset, long long length);

/// Makes a pipe whose two ends are close-on-exec from the start, so that a process another
/// thread spawns meanwhile never inherits them. 0 or -1 with errno. The corresponding C
/// function is pipe2 with O_CLOEXEC.
int cpipes_pipe_cloexec(int fds[2]);

/// Adds "close every descriptor from `lowest` on" to a posix_spawn file-action list, so a child
/// gets only the descriptors it was given. 0, or an errno value (ENOSYS where the C library has
/// no such action; the child then inherits what is not close-on-exec). The corresponding C
/// function is posix_spawn_file_actions_addclosefrom_np (glibc 2.34).
int cpipes_spawn_close_from(void *actions, int lowest);

/// The git commit the kit was built from ("1a2b3c4d5e6f", "…-dirty" with uncommitted changes), as
/// `make build` stamps it into the binary after linking, or "" for a binary it did not stamp.
const char *cpipes_build_commit(void);

#endif
