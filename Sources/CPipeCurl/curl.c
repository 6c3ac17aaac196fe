// libcurl through dlopen: fixed-argument wrappers around its variadic calls.
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include "CPipeCurl.h"

typedef int (*global_init_fn)(long);
typedef void *(*easy_init_fn)(void);
typedef int (*setopt_fn)(void *, int, ...);
typedef int (*perform_fn)(void *);
typedef int (*getinfo_fn)(void *, int, ...);
typedef void (*cleanup_fn)(void *);
typedef const char *(*strerror_fn)(int);
typedef void *(*slist_append_fn)(void *, const char *);
typedef void (*slist_free_fn)(void *);

static struct {
  easy_init_fn easy_init;
  setopt_fn setopt;
  perform_fn perform;
  getinfo_fn getinfo;
  cleanup_fn cleanup;
  strerror_fn strerror;
  slist_append_fn slist_append;
  slist_free_fn slist_free;
} curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = -1;
static const char *load_error = NULL;

static void load(void) {
  static const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
  void *lib = NULL;
  for (size_t k = 0; k < sizeof names / sizeof names[0] && !lib; k++) lib = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    load_error = dlerror();
    return;
  }
  global_init_fn global_init = (global_init_fn)dlsym(lib, "curl_global_init");
  curl.easy_init = (easy_init_fn)dlsym(lib, "curl_easy_init");
  curl.setopt = (setopt_fn)dlsym(lib, "curl_easy_setopt");
  curl.perform = (perform_fn)dlsym(lib, "curl_easy_perform");
  curl.getinfo = (getinfo_fn)dlsym(lib, "curl_easy_getinfo");
  curl.cleanup = (cleanup_fn)dlsym(lib, "curl_easy_cleanup");
  curl.strerror = (strerror_fn)dlsym(lib, "curl_easy_strerror");
  curl.slist_append = (slist_append_fn)dlsym(lib, "curl_slist_append");
  curl.slist_free = (slist_free_fn)dlsym(lib, "curl_slist_free_all");
  if (!global_init || !curl.easy_init || !curl.setopt || !curl.perform || !curl.getinfo || !curl.cleanup ||
      !curl.strerror || !curl.slist_append || !curl.slist_free) {
    load_error = "libcurl lacks a required function";
    return;
  }
  if (global_init(3 /* CURL_GLOBAL_DEFAULT */) != 0) {
    load_error = "curl_global_init failed";
    return;
  }
  loaded = 0;
}

int cpipes_curl_load(void) {
  pthread_once(&once, load);
  return loaded;
}

const char *cpipes_curl_load_error(void) { return load_error; }

void *cpipes_curl_easy_init(void) { return curl.easy_init(); }

int cpipes_curl_setopt_long(void *handle, int option, long value) { return curl.setopt(handle, option, value); }

int cpipes_curl_setopt_pointer(void *handle, int option, const void *value) {
  return curl.setopt(handle, option, value);
}

int cpipes_curl_setopt_callback(void *handle, int option, cpipes_curl_write_fn callback) {
  return curl.setopt(handle, option, callback);
}

int cpipes_curl_perform(void *handle) { return curl.perform(handle); }

int cpipes_curl_getinfo_long(void *handle, int info, long *value) { return curl.getinfo(handle, info, value); }

int cpipes_curl_getinfo_string(void *handle, int info, const char **value) {
  return curl.getinfo(handle, info, value);
}

void cpipes_curl_cleanup(void *handle) { curl.cleanup(handle); }

const char *cpipes_curl_strerror(int code) { return curl.strerror(code); }

void *cpipes_curl_slist_append(void *list, const char *text) { return curl.slist_append(list, text); }

void cpipes_curl_slist_free_all(void *list) { curl.slist_free(list); }
