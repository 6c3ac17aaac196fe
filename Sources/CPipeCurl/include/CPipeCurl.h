#ifndef CPIPECURL_H
#define CPIPECURL_H

#include <stddef.h>

// libcurl, reached through dlopen so that the tools build without curl's headers and run
// without libcurl until a URL needs it. Only what PipeHTTP uses is here; the option and info
// numbers are curl's stable ABI values (curl/curl.h).

enum {
  CPIPES_CURLOPT_WRITEDATA = 10001,
  CPIPES_CURLOPT_URL = 10002,
  CPIPES_CURLOPT_RANGE = 10007,
  CPIPES_CURLOPT_ERRORBUFFER = 10010,
  CPIPES_CURLOPT_WRITEFUNCTION = 20011,
  CPIPES_CURLOPT_USERAGENT = 10018,
  CPIPES_CURLOPT_HTTPHEADER = 10023,
  CPIPES_CURLOPT_HEADERDATA = 10029,
  CPIPES_CURLOPT_NOBODY = 44,
  CPIPES_CURLOPT_POST = 47,
  CPIPES_CURLOPT_POSTFIELDS = 10015,
  CPIPES_CURLOPT_POSTFIELDSIZE_LARGE = 30120,
  CPIPES_CURLOPT_FOLLOWLOCATION = 52,
  CPIPES_CURLOPT_MAXREDIRS = 68,
  CPIPES_CURLOPT_HEADERFUNCTION = 20079,
  CPIPES_CURLOPT_NOSIGNAL = 99,
  CPIPES_CURLOPT_ACCEPT_ENCODING = 10102,
  CPIPES_CURLOPT_TIMEOUT_MS = 155,
  CPIPES_CURLOPT_CONNECTTIMEOUT_MS = 156,
  CPIPES_CURLOPT_PROTOCOLS = 181,
  CPIPES_CURLOPT_REDIR_PROTOCOLS = 182,
  CPIPES_CURLOPT_MAXFILESIZE_LARGE = 30117,
};

enum {
  CPIPES_CURLINFO_EFFECTIVE_URL = 0x100000 + 1,
  CPIPES_CURLINFO_RESPONSE_CODE = 0x200000 + 2,
  CPIPES_CURLINFO_CONTENT_TYPE = 0x100000 + 18,
  CPIPES_CURLINFO_REDIRECT_URL = 0x100000 + 31,
};

enum {
  CPIPES_CURLPROTO_HTTP = 1 << 0,
  CPIPES_CURLPROTO_HTTPS = 1 << 1,
};

/// A body or header callback: curl's `CURLOPT_WRITEFUNCTION` signature.
typedef size_t (*cpipes_curl_write_fn)(char *data, size_t size, size_t count, void *context);

/// Loads libcurl (`libcurl.so.4`, then `libcurl-gnutls.so.4`) and runs `curl_global_init` once.
/// Returns 0, or -1 when it is missing (see `cpipes_curl_load_error`). Thread-safe.
int cpipes_curl_load(void);
/// Why the last load failed (dlerror's text), or NULL.
const char *cpipes_curl_load_error(void);

/// The corresponding C functions are `curl_easy_init`, `curl_easy_setopt` (with a long, a
/// pointer or a callback), `curl_easy_perform`, `curl_easy_getinfo`, `curl_easy_cleanup`,
/// `curl_easy_strerror`, `curl_slist_append` and `curl_slist_free_all`.
void *cpipes_curl_easy_init(void);
int cpipes_curl_setopt_long(void *handle, int option, long value);
int cpipes_curl_setopt_pointer(void *handle, int option, const void *value);
int cpipes_curl_setopt_callback(void *handle, int option, cpipes_curl_write_fn callback);
int cpipes_curl_perform(void *handle);
int cpipes_curl_getinfo_long(void *handle, int info, long *value);
int cpipes_curl_getinfo_string(void *handle, int info, const char **value);
void cpipes_curl_cleanup(void *handle);
const char *cpipes_curl_strerror(int code);
void *cpipes_curl_slist_append(void *list, const char *text);
void cpipes_curl_slist_free_all(void *list);

#endif
