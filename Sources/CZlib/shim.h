// The system zlib for Swift. zlib's init functions are macros, which Swift cannot call, so they
// are wrapped here as static inline functions.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <zlib.h>

/// `inflateInit2`: windowBits -15 for raw deflate (zip members), 15 for a zlib stream (PNG).
static inline int czlib_inflateInit2(z_streamp stream, int windowBits) {
  return inflateInit2(stream, windowBits);
}

/// `deflateInit2` with the default memory level and strategy.
static inline int czlib_deflateInit2(z_streamp stream, int level, int windowBits) {
  return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

#endif
